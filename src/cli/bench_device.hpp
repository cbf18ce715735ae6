#pragma once

#include <torch/types.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

// What `glide bench` says about the machine: the device's name, its peak throughput for the
// dtype (a small table of NVIDIA data-sheet figures), and peak memory.
namespace glide::cli::bench {

struct PeakThroughput {
  double tflops = 0;
  std::string basis;  // which data-sheet figure, e.g. "dense float16 tensor cores"
};

// Dense data-sheet peak of a CUDA device (by its name) for the dtype; `tf32` says whether
// float32 convolutions may use TF32 tensor cores. nullopt for devices not in the table.
std::optional<PeakThroughput> cuda_peak_throughput(const std::string& device_name,
                                                   torch::Dtype dtype, bool tf32);

struct DeviceInfo {
  std::string name;       // "cpu (2 threads)" or the CUDA device's name
  std::string cpu_model;  // /proc/cpuinfo's model name (CPU runs only; may be empty)
  std::optional<PeakThroughput> peak;
};

DeviceInfo describe_device(const torch::Device& device, torch::Dtype dtype, int threads);

// The GLIDE_* environment variables that are set, by name: they choose kernels and code paths
// (docs/performance.md), so a report says which ran.
std::vector<std::pair<std::string, std::string>> glide_environment();

// Peak memory of a phase: on CUDA the caching allocator's peak of allocated bytes, on the CPU
// the process's peak resident set (VmHWM), which Linux lets a process reset.
class MemoryMeter {
 public:
  explicit MemoryMeter(const torch::Device& device);
  void reset_peak();
  double peak_mib() const;  // since the last reset_peak() (or process start; see source())
  const std::string& source() const { return source_; }

 private:
  torch::Device device_;
  std::string source_;
};

// How often work made the host wait for a CUDA device, and from where.
struct SyncCount {
  int64_t total = 0;
  // Each distinct call site (the innermost glide function on the stack, or "unknown" where
  // symbols are hidden) with its count, most frequent first.
  std::vector<std::pair<std::string, int64_t>> sites;
};

// Implemented by bench_cuda.cpp in CUDA builds; CPU builds get stubs that throw.
namespace cuda {
std::string device_name(int index);
void reset_peak_memory(int index);
int64_t peak_allocated_bytes(int index);
// Runs `work` with LibTorch's CUDA sync debugging on (a warning at each synchronizing call:
// a blocking copy, .item(), a stream synchronize) and counts those warnings instead of printing
// them.
SyncCount count_synchronizations(const std::function<void()>& work);
}  // namespace cuda

}  // namespace glide::cli::bench
