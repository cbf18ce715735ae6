#pragma once

#include <torch/types.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

// Where a network evaluation's time goes, from LibTorch's profiler: `glide bench --profile`.
namespace glide::cli::bench {

struct OpTime {
  std::string name;
  double calls = 0;  // per profiled run
  double ms = 0;     // self time per profiled run
};

struct OpProfile {
  int runs = 0;
  std::string what;         // what was summed, e.g. "CUDA kernels" or "ATen operators' self time"
  double total_ms = 0;      // per run, over every operation recorded (not only `ops`)
  std::vector<OpTime> ops;  // the largest first; the rest summed into a last "(N others)" entry
};

// One recorded operation: `timeline` is the CPU thread or CUDA stream it ran on; on one timeline
// operations nest like calls (an operator's span holds its children's).
struct Span {
  std::string name;
  int64_t timeline = 0;
  double start_us = 0, duration_us = 0;
};

// Sums each name's self time (its spans less their direct children) over `runs` runs, per run;
// keeps the `top` largest and sums the rest into one "(N others)" entry.
OpProfile summarize_spans(std::vector<Span> spans, int runs, size_t top, std::string what);

// Calls `call` `runs` times under the profiler, with a device synchronize after each, and sums
// each operation's self time by name: on CUDA the device's kernels and copies, on the CPU the
// ATen operators on the calling thread (their children's time taken out). Keeps the `top` largest.
OpProfile profile_calls(const std::function<void()>& call, int runs, const torch::Device& device,
                        size_t top);

}  // namespace glide::cli::bench
