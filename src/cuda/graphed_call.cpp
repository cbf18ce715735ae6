#include "cuda/graphed_call.hpp"

#include <ATen/ATen.h>
#include <ATen/Context.h>
#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/cuda/CUDAFunctions.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "glide/error.hpp"
#include "glide/runtime.hpp"

namespace glide::cuda {
namespace {

// GLIDE_CUDA_GRAPHS_DEBUG=1: the caching allocator's allocated bytes (now / peak) around each
// phase of a capture on stderr, to see where a graph's memory goes.
void report_memory(const char* phase, c10::DeviceIndex device) {
  static const bool on = env_switch("GLIDE_CUDA_GRAPHS_DEBUG", false);
  if (!on) return;
  const auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(device);
  const auto& allocated = stats.allocated_bytes[0];  // StatType::AGGREGATE
  const auto& reserved = stats.reserved_bytes[0];
  std::fprintf(stderr,
               "glide cuda graph %-14s allocated %8.1f MiB (peak %8.1f), reserved %8.1f MiB\n",
               phase, allocated.current / 1048576.0, allocated.peak / 1048576.0,
               reserved.current / 1048576.0);
}

// Every graph on a device is warmed up and captured on one stream, taken from LibTorch's pool
// once. cuBLAS keeps a workspace per stream (32 MiB on Hopper), so a pool stream per capture
// gave each stage's graph a workspace of its own: most likely the 33 MiB more allocated after
// each stage's warm-up in the H200 run of 2026-11-27, whose batch-1 peak was 42 MiB above the
// reference's. Captures hold the mutex: two at once on one stream would interleave.
std::mutex capture_mutex;

c10::cuda::CUDAStream capture_stream(c10::DeviceIndex device) {
  static std::map<c10::DeviceIndex, c10::cuda::CUDAStream> streams;
  auto found = streams.find(device);
  if (found == streams.end()) {
    found = streams.emplace(device, c10::cuda::getStreamFromPool(false, device)).first;
  }
  return found->second;
}

// Graphs replayed on one stream never run at the same time, so they keep their activations in
// one memory pool, which then needs the memory of the largest graph rather than of all of them
// together (a pipeline's base and upsampler graphs, or several samplers'). The pool is joined by
// capturing into the pool of a live graph of the same device and replay stream; a call on another
// stream captures a graph of its own. Guarded by capture_mutex.
using PoolKey = std::pair<c10::DeviceIndex, c10::StreamId>;
std::map<PoolKey, std::vector<std::weak_ptr<at::cuda::CUDAGraph>>> graphs_by_stream;

// Whether captures join a live graph's pool; GLIDE_SHARED_GRAPH_POOL=0 gives each graph its own,
// as before.
bool graph_pool_sharing() {
  static const bool shared = env_switch("GLIDE_SHARED_GRAPH_POOL", true);
  return shared;
}

// A live graph whose pool a new capture for `key` joins; null when there is none.
std::shared_ptr<at::cuda::CUDAGraph> graph_to_share(const PoolKey& key) {
  auto& graphs = graphs_by_stream[key];
  std::shared_ptr<at::cuda::CUDAGraph> live;
  for (auto it = graphs.begin(); it != graphs.end();) {
    auto graph = it->lock();
    it = graph ? std::next(it) : graphs.erase(it);
    if (graph && !live) live = std::move(graph);
  }
  return live;
}

// A graph's output lies in the shared pool, where another graph's replay may overwrite it: each
// call clones it right after its replay, and no other replay is queued in between.
std::mutex replay_mutex;

// A capture that failed part way (out of memory, say) must still be ended: a stream left capturing
// fails every later launch on it, and the allocator would keep sending allocations to the graph's
// pool. Ending an invalidated capture reports an error, which is not the one to pass on.
void end_failed_capture(at::cuda::CUDAGraph& graph) {
  try {
    graph.capture_end();
  } catch (...) {
  }
}

class GraphedCall {
 public:
  explicit GraphedCall(NetworkFn eager) : eager_(std::move(eager)) {}

  torch::Tensor operator()(const torch::Tensor& x, const torch::Tensor& t) {
    if (!x.is_cuda()) return eager_(x, t);
    if (!captured_for(x, t)) capture(x, t);
    const std::lock_guard<std::mutex> lock(replay_mutex);
    x_.copy_(x);
    t_.copy_(t);
    graph_->replay();
    return out_.clone();  // the next replay of a graph in the pool may overwrite out_
  }

 private:
  // t_ lives on x's device whatever t's device, and copy_ moves t there: comparing t's device
  // would recapture at every call when the timesteps come from the host.
  bool captured_for(const torch::Tensor& x, const torch::Tensor& t) const {
    return graph_ && x.sizes() == x_.sizes() && x.scalar_type() == x_.scalar_type() &&
           x.device() == x_.device() && t.sizes() == t_.sizes() &&
           t.scalar_type() == t_.scalar_type() &&
           replay_stream(x.device().index()) == pool_key_.second;
  }

  static c10::StreamId replay_stream(c10::DeviceIndex device) {
    return c10::cuda::getCurrentCUDAStream(device).id();
  }

  void capture(const torch::Tensor& x, const torch::Tensor& t) {
    const std::lock_guard<std::mutex> lock(capture_mutex);
    graph_.reset();
    out_ = torch::Tensor();
    const c10::cuda::CUDAGuard device_guard(x.device());
    x_ = x.clone();
    t_ = t.to(x.device(), /*non_blocking=*/false, /*copy=*/true);
    // Fixed shapes for the whole loop: let cuDNN time its algorithms once, in the warm-up.
    at::globalContext().setBenchmarkCuDNN(true);
    c10::cuda::device_synchronize();
    const c10::DeviceIndex device = x.device().index();
    pool_key_ = {device, replay_stream(device)};
    report_memory("before warm-up", device);
    // Graphs are captured on a stream other than the default one; the warm-up runs on the same
    // stream so that per-stream workspaces (cuBLAS) exist before capture begins.
    const c10::cuda::CUDAStream stream = capture_stream(device);
    const c10::cuda::CUDAStreamGuard stream_guard(stream);
    eager_(x_, t_);
    stream.synchronize();
    report_memory("after warm-up", device);
    auto shared = graph_pool_sharing() ? graph_to_share(pool_key_) : nullptr;
    std::shared_ptr<at::cuda::CUDAGraph> graph;
    try {
      graph = capture_graph(shared);
    } catch (const c10::OutOfMemoryError&) {
      throw;
    } catch (const std::exception& e) {
      if (!shared) throw;
      // Sharing a pool is newer ground in LibTorch than a private one: fall back rather than
      // fail the run.
      std::fprintf(stderr,
                   "glide: capturing a CUDA graph into a shared memory pool failed (%s); "
                   "capturing it with a pool of its own\n",
                   e.what());
      shared.reset();
      graph = capture_graph(nullptr);
    }
    stream.synchronize();
    report_memory(shared ? "after capture (shared pool)" : "after capture", device);
    graphs_by_stream[pool_key_].push_back(graph);
    graph_ = std::move(graph);
  }

  // One evaluation captured on the current (capture) stream into a new graph, in the pool of
  // `share_with` when given; out_ holds its output.
  std::shared_ptr<at::cuda::CUDAGraph> capture_graph(
      const std::shared_ptr<at::cuda::CUDAGraph>& share_with) {
    auto graph = std::make_shared<at::cuda::CUDAGraph>();
    try {
      if (share_with) {
        graph->capture_begin(share_with->pool());
      } else {
        graph->capture_begin();
      }
      try {
        out_ = eager_(x_, t_);
      } catch (...) {
        end_failed_capture(*graph);
        throw;
      }
      graph->capture_end();
    } catch (const c10::OutOfMemoryError&) {
      out_ = torch::Tensor();
      throw;
    } catch (const std::exception& e) {
      out_ = torch::Tensor();
      throw Error(Status::internal,
                  fmt::format("capturing the network into a CUDA graph failed ({}); set "
                              "GLIDE_CUDA_GRAPHS=0 to run it without graphs",
                              e.what()));
    }
    return graph;
  }

  NetworkFn eager_;
  std::shared_ptr<at::cuda::CUDAGraph> graph_;
  PoolKey pool_key_;
  torch::Tensor x_, t_, out_;  // the graph's inputs and output, at fixed addresses
};

}  // namespace

NetworkFn graphed(NetworkFn eager) {
  auto call = std::make_shared<GraphedCall>(std::move(eager));
  return [call](const torch::Tensor& x, const torch::Tensor& t) { return (*call)(x, t); };
}

}  // namespace glide::cuda
