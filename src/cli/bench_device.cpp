#include "bench_device.hpp"

#include <ATen/Context.h>
#include <fmt/format.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <string>
#include <string_view>

#include "glide/error.hpp"

namespace glide::cli::bench {
namespace {

bool contains(const std::string& s, const char* part) {
  return s.find(part) != std::string::npos;
}

// The value of a "key : value" line of a /proc file, or "".
std::string proc_field(const char* file, const std::string& key) {
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    if (line.compare(0, key.size(), key) != 0) continue;
    const size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    const size_t start = line.find_first_not_of(" \t", colon + 1);
    return start == std::string::npos ? "" : line.substr(start);
  }
  return "";
}

int cuda_index(const torch::Device& device) {
  return device.has_index() ? device.index() : 0;
}

// Clears the process's peak RSS (Linux >= 4.0); false where /proc refuses it.
bool reset_process_peak_rss() {
  std::ofstream out("/proc/self/clear_refs");
  out << "5";
  out.flush();
  return static_cast<bool>(out);
}

double process_peak_rss_mib() {
  const std::string hwm = proc_field("/proc/self/status", "VmHWM");  // "1234 kB"
  if (!hwm.empty()) return std::stod(hwm) / 1024.0;
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // kilobytes on Linux
}

}  // namespace

std::optional<PeakThroughput> cuda_peak_throughput(const std::string& name, torch::Dtype dtype,
                                                   bool tf32) {
  // NVIDIA data sheets, dense (no structured sparsity), TFLOP/s: half/bfloat16, TF32, FP32.
  struct Row {
    double half, tf32, fp32;
  };
  std::optional<Row> row;
  if (contains(name, "H100") && contains(name, "PCIe")) {
    row = Row{756, 378, 51};
  } else if ((contains(name, "H100") && (contains(name, "HBM3") || contains(name, "SXM"))) ||
             (contains(name, "H200") && !contains(name, "NVL"))) {
    row = Row{989, 494, 67};
  } else if (contains(name, "A100")) {
    row = Row{312, 156, 19.5};
  }
  if (!row) return std::nullopt;
  if (dtype == torch::kFloat16) return PeakThroughput{row->half, "dense float16 tensor cores"};
  if (dtype == torch::kBFloat16) return PeakThroughput{row->half, "dense bfloat16 tensor cores"};
  if (tf32) return PeakThroughput{row->tf32, "dense TF32 tensor cores (cuDNN convolutions)"};
  return PeakThroughput{row->fp32, "float32 CUDA cores"};
}

std::vector<std::pair<std::string, std::string>> glide_environment() {
  std::vector<std::pair<std::string, std::string>> variables;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    const std::string_view text = *entry;
    const size_t equals = text.find('=');
    if (text.rfind("GLIDE_", 0) != 0 || equals == std::string_view::npos) continue;
    variables.emplace_back(text.substr(0, equals), text.substr(equals + 1));
  }
  std::sort(variables.begin(), variables.end());
  return variables;
}

DeviceInfo describe_device(const torch::Device& device, torch::Dtype dtype, int threads) {
  DeviceInfo info;
  if (device.is_cuda()) {
    info.name = cuda::device_name(cuda_index(device));
    info.peak = cuda_peak_throughput(info.name, dtype, at::globalContext().allowTF32CuDNN());
  } else {
    info.name = fmt::format("cpu ({} thread{})", threads, threads == 1 ? "" : "s");
    info.cpu_model = proc_field("/proc/cpuinfo", "model name");
  }
  return info;
}

MemoryMeter::MemoryMeter(const torch::Device& device) : device_(device) {
  if (device.is_cuda()) {
    source_ = "CUDA caching allocator, peak allocated";
  } else {
    source_ = reset_process_peak_rss() ? "process peak RSS (VmHWM)"
                                       : "process peak RSS since start (VmHWM; reset refused)";
  }
}

void MemoryMeter::reset_peak() {
  if (device_.is_cuda()) {
    cuda::reset_peak_memory(cuda_index(device_));
  } else {
    reset_process_peak_rss();
  }
}

double MemoryMeter::peak_mib() const {
  if (device_.is_cuda()) {
    return static_cast<double>(cuda::peak_allocated_bytes(cuda_index(device_))) / (1024.0 * 1024.0);
  }
  return process_peak_rss_mib();
}

#ifndef GLIDE_BENCH_WITH_CUDA
namespace cuda {
namespace {
[[noreturn]] void no_cuda() {
  throw Error(Status::unsupported, "--device cuda: this glide was built without CUDA");
}
}  // namespace
std::string device_name(int) {
  no_cuda();
}
void reset_peak_memory(int) {
  no_cuda();
}
int64_t peak_allocated_bytes(int) {
  no_cuda();
}
SyncCount count_synchronizations(const std::function<void()>&) {
  no_cuda();
}
}  // namespace cuda
#endif

}  // namespace glide::cli::bench
