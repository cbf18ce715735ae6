// CUDA-only parts of `glide bench`; src/cli/CMakeLists.txt compiles this file only when LibTorch
// has CUDA, so CPU builds never need CUDA headers.
#include <ATen/ATen.h>
#include <c10/cuda/CUDACachingAllocator.h>
#include <cuda_runtime_api.h>

#include "bench_device.hpp"
#include "glide/error.hpp"

namespace glide::cli::bench::cuda {
namespace {

// The allocator's per-device statistics exist once CUDA is initialized; a tensor does that.
void ensure_initialized(int index) {
  at::empty({1}, at::TensorOptions().device(at::kCUDA, static_cast<c10::DeviceIndex>(index)));
}

}  // namespace

std::string device_name(int index) {
  cudaDeviceProp properties{};
  if (cudaGetDeviceProperties(&properties, index) != cudaSuccess) {
    throw Error(Status::invalid_argument,
                "--device cuda:" + std::to_string(index) + ": no such CUDA device");
  }
  return properties.name;
}

void reset_peak_memory(int index) {
  ensure_initialized(index);
  c10::cuda::CUDACachingAllocator::resetPeakStats(index);
}

int64_t peak_allocated_bytes(int index) {
  ensure_initialized(index);
  const auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(index);
  return stats.allocated_bytes[0].peak;  // index 0: StatType::AGGREGATE, all pools
}

}  // namespace glide::cli::bench::cuda
