// CUDA-only parts of `glide bench`; src/cli/CMakeLists.txt compiles this file only when LibTorch
// has CUDA, so CPU builds never need CUDA headers.
#include <ATen/ATen.h>
#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/cuda/CUDAFunctions.h>
#include <c10/util/Backtrace.h>
#include <c10/util/Exception.h>
#include <cuda_runtime_api.h>
#include <torch/version.h>

#include <algorithm>
#include <map>

#include "bench_device.hpp"
#include "glide/error.hpp"

namespace glide::cli::bench::cuda {
namespace {

// The allocator's per-device statistics exist once CUDA is initialized; a tensor does that.
void ensure_initialized(int index) {
  at::empty({1}, at::TensorOptions().device(at::kCUDA, static_cast<c10::DeviceIndex>(index)));
}

// The innermost glide frame of a backtrace: where in glide the synchronizing call was made.
std::string glide_frame(const std::string& backtrace) {
  size_t start = 0;
  while (start < backtrace.size()) {
    size_t end = backtrace.find('\n', start);
    if (end == std::string::npos) end = backtrace.size();
    const std::string line = backtrace.substr(start, end - start);
    const size_t at = line.find("glide::");
    if (at != std::string::npos && line.find("count_synchronizations") == std::string::npos) {
      return line.substr(at, line.find(" + ", at) - at);
    }
    start = end + 1;
  }
  return "unknown";
}

// Counts LibTorch's sync-debug warnings and passes any other warning on unchanged. The handler
// interface changed in LibTorch 2.0 (one Warning argument, namespace WarningUtils).
class SyncCounter : public c10::WarningHandler {
 public:
  explicit SyncCounter(c10::WarningHandler* next) : next_(next) {}

#if TORCH_VERSION_MAJOR >= 2
  void process(const c10::Warning& warning) override {
    if (!count(warning.msg())) next_->process(warning);
  }
#else
  void process(const c10::SourceLocation& location, const std::string& msg,
               const bool verbatim) override {
    if (!count(msg)) next_->process(location, msg, verbatim);
  }
#endif

  SyncCount result() const {
    SyncCount count;
    for (const auto& [site, n] : sites_) {
      count.total += n;
      count.sites.emplace_back(site, n);
    }
    std::stable_sort(count.sites.begin(), count.sites.end(),
                     [](const auto& a, const auto& b) { return a.second > b.second; });
    return count;
  }

 private:
  bool count(const std::string& msg) {
    if (msg.find("synchronizing CUDA operation") == std::string::npos) return false;
    ++sites_[glide_frame(
        c10::get_backtrace(/*frames_to_skip=*/2, /*maximum_number_of_frames=*/40))];
    return true;
  }

  c10::WarningHandler* next_;
  std::map<std::string, int64_t> sites_;
};

#if TORCH_VERSION_MAJOR >= 2
namespace warnings = c10::WarningUtils;
#else
namespace warnings = c10::Warning;
#endif

}  // namespace

SyncCount count_synchronizations(const std::function<void()>& work) {
  SyncCounter counter(warnings::get_warning_handler());
  warnings::WarningHandlerGuard handler(&counter);
  auto& state = c10::cuda::warning_state();
  const auto mode = state.get_sync_debug_mode();
  state.set_sync_debug_mode(c10::cuda::SyncDebugMode::L_WARN);
  try {
    work();
  } catch (...) {
    state.set_sync_debug_mode(mode);
    throw;
  }
  state.set_sync_debug_mode(mode);
  return counter.result();
}

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
