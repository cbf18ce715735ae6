#include "bench_profile.hpp"

#include <c10/util/Exception.h>
#include <fmt/format.h>

// LibTorch packages without the profiler's headers still build; --profile then says so.
#if __has_include(<torch/csrc/autograd/profiler_kineto.h>)
#include <torch/csrc/autograd/profiler_kineto.h>
#define GLIDE_BENCH_HAS_PROFILER 1
#endif

#include <algorithm>
#include <map>
#include <set>
#include <tuple>
#include <utility>

#include "bench_timing.hpp"
#include "glide/error.hpp"

namespace glide::cli::bench {
namespace {

#ifdef GLIDE_BENCH_HAS_PROFILER
namespace profiler = torch::autograd::profiler;
namespace impl = torch::profiler::impl;

// Newer LibTorch times events in ns (startNs, durationNs), 1.13 in µs: {start, duration} in µs
// from what the version has.
template <typename Event>
auto times_us(const Event& e, int) -> decltype(e.durationNs(), std::pair<double, double>()) {
  return {static_cast<double>(e.startNs()) / 1000.0, static_cast<double>(e.durationNs()) / 1000.0};
}
template <typename Event>
std::pair<double, double> times_us(const Event& e, long) {
  return {static_cast<double>(e.startUs()), static_cast<double>(e.durationUs())};
}
// The timeline an event ran on: its CUDA stream, or its CPU thread. Should a LibTorch version
// lack these getters, all events share one timeline (only the calling thread's are recorded).
template <typename Event>
auto timeline_of(const Event& e, bool cuda, int)
    -> decltype(e.deviceResourceId(), e.startThreadId(), int64_t()) {
  return cuda ? static_cast<int64_t>(e.deviceResourceId())
              : static_cast<int64_t>(e.startThreadId());
}
template <typename Event>
int64_t timeline_of(const Event&, bool, long) {
  return 0;
}
#endif

}  // namespace

OpProfile summarize_spans(std::vector<Span> spans, int runs, size_t top, std::string what) {
  std::sort(spans.begin(), spans.end(), [](const Span& a, const Span& b) {
    return std::tie(a.timeline, a.start_us, b.duration_us) <
           std::tie(b.timeline, b.start_us, a.duration_us);
  });
  // Walk each timeline in start order, with the spans still open on a stack: a span's parent
  // is the innermost open span that has not ended by its start.
  std::vector<double> children(spans.size(), 0.0);
  std::vector<size_t> open;
  for (size_t i = 0; i < spans.size(); ++i) {
    const Span& s = spans[i];
    while (!open.empty()) {
      const Span& top_span = spans[open.back()];
      if (top_span.timeline == s.timeline && top_span.start_us + top_span.duration_us > s.start_us)
        break;
      open.pop_back();
    }
    if (!open.empty()) children[open.back()] += s.duration_us;
    open.push_back(i);
  }

  std::map<std::string, OpTime> by_name;
  OpProfile profile;
  profile.runs = runs;
  profile.what = std::move(what);
  for (size_t i = 0; i < spans.size(); ++i) {
    OpTime& op = by_name[spans[i].name];
    op.name = spans[i].name;
    op.calls += 1;  // divided by the runs once, below: summing 1/runs drifts (21.999...)
    const double self_ms = std::max(0.0, spans[i].duration_us - children[i]) / 1000.0 / runs;
    op.ms += self_ms;
    profile.total_ms += self_ms;
  }
  for (auto& [name, op] : by_name) {
    op.calls /= runs;
    profile.ops.push_back(std::move(op));
  }
  std::sort(profile.ops.begin(), profile.ops.end(),
            [](const OpTime& a, const OpTime& b) { return a.ms > b.ms; });
  if (profile.ops.size() > top) {
    OpTime others;
    for (size_t i = top; i < profile.ops.size(); ++i) {
      others.calls += profile.ops[i].calls;
      others.ms += profile.ops[i].ms;
    }
    others.name = fmt::format("({} others)", profile.ops.size() - top);
    profile.ops.resize(top);
    profile.ops.push_back(others);
  }
  return profile;
}

OpProfile profile_calls(const std::function<void()>& call, int runs, const torch::Device& device,
                        size_t top) {
#ifndef GLIDE_BENCH_HAS_PROFILER
  (void)call, (void)runs, (void)top;
  throw Error(Status::unsupported,
              fmt::format("--profile: this LibTorch has no profiler headers; cannot profile {}",
                          device.str()));
#else
  const bool cuda = device.is_cuda();
  const impl::ProfilerConfig config(impl::ProfilerState::KINETO);
  const std::set<impl::ActivityType> activities{cuda ? impl::ActivityType::CUDA
                                                     : impl::ActivityType::CPU};
  try {
    profiler::prepareProfiler(config, activities);
    profiler::enableProfiler(config, activities);
  } catch (const c10::Error& e) {
    throw Error(Status::unsupported, fmt::format("--profile: LibTorch's profiler failed on {} ({})",
                                                 device.str(), e.what_without_backtrace()));
  }
  // Should a call throw, the profiler stops before the error goes on.
  struct StopOnError {
    bool armed = true;
    ~StopOnError() {
      if (armed) {
        try {
          profiler::disableProfiler();
        } catch (...) {
        }
      }
    }
  } stop_on_error;
  for (int i = 0; i < runs; ++i) {
    call();
    synchronize(device);
  }
  stop_on_error.armed = false;
  const std::unique_ptr<profiler::ProfilerResult> result = profiler::disableProfiler();

  const c10::DeviceType kept = cuda ? c10::DeviceType::CUDA : c10::DeviceType::CPU;
  std::vector<Span> spans;
  for (const auto& e : result->events()) {
    if (e.deviceType() != kept) continue;
    const auto [start, duration] = times_us(e, 0);
    spans.push_back({e.name(), timeline_of(e, cuda, 0), start, duration});
  }
  return summarize_spans(
      std::move(spans), runs, top,
      cuda ? "CUDA kernels and copies" : "ATen operators' self time, calling thread");
#endif
}

}  // namespace glide::cli::bench
