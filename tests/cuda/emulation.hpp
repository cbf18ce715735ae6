#pragma once

// Just enough of CUDA to run glide's kernels (src/cuda/kernels/*.cu) on the CPU, so that machines
// without a GPU, CI's included, test their indexing, reductions and arithmetic. Each CUDA thread
// of a block is a fiber (ucontext) on the calling thread; blocks run one after another;
// __syncthreads() and warp shuffles are barriers at which a fiber yields until its block (or
// warp) has arrived. For small shapes. Include this, then the .cu file.
#include <c10/util/BFloat16.h>
#include <c10/util/Half.h>
#include <ucontext.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <vector>

#define GLIDE_CUDA_EMULATION 1
#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(...)
// One block runs at a time, so a function's static is its block's shared memory.
#define __shared__ static

using __half = c10::Half;
using __nv_bfloat16 = c10::BFloat16;
inline float __half2float(__half h) {
  return static_cast<float>(h);
}
inline __half __float2half_rn(float f) {
  return __half(f);
}  // rounds to nearest even
inline float __bfloat162float(__nv_bfloat16 b) {
  return static_cast<float>(b);
}
inline __nv_bfloat16 __float2bfloat16_rn(float f) {
  return __nv_bfloat16(f);
}

enum cudaError_t { cudaSuccess = 0, cudaErrorInvalidValue = 1 };
using cudaStream_t = void*;
inline cudaError_t cudaGetLastError() {
  return cudaSuccess;
}

struct dim3 {
  unsigned x, y, z;
  dim3(unsigned x_ = 1, unsigned y_ = 1, unsigned z_ = 1) : x(x_), y(y_), z(z_) {}
};
struct float2 {
  float x, y;
};
inline float2 make_float2(float x, float y) {
  return {x, y};
}
using std::min;

namespace glide::cuda_emulation {

struct Fiber;
inline ucontext_t scheduler;
inline Fiber* running = nullptr;

class Barrier {
 public:
  explicit Barrier(int count) : count_(count) {}
  void wait();
  bool released(int generation) const { return generation_ != generation; }

 private:
  int count_, arrived_ = 0, generation_ = 0;
};

struct Fiber {
  unsigned index = 0;
  ucontext_t context{};
  std::vector<char> stack = std::vector<char>(128 * 1024);
  bool done = false;
  const Barrier* waiting = nullptr;
  int waiting_generation = 0;
};

// The last fiber to arrive goes on; the others yield to the scheduler until it has.
inline void Barrier::wait() {
  const int generation = generation_;
  if (++arrived_ == count_) {
    arrived_ = 0;
    ++generation_;
    return;
  }
  Fiber* self = running;
  self->waiting = this;
  self->waiting_generation = generation;
  swapcontext(&self->context, &scheduler);
}

struct BlockState {
  explicit BlockState(unsigned threads) : block(static_cast<int>(threads)) {
    for (unsigned w = 0; w < (threads + 31) / 32; ++w)
      warps.push_back(std::make_unique<Barrier>(32));
    lane_values.resize(threads);
  }
  Barrier block;
  std::vector<std::unique_ptr<Barrier>> warps;
  std::vector<float> lane_values;
};

inline dim3 thread_index, block_index, grid_size, block_size;
inline BlockState* current_block = nullptr;
inline std::function<void()> kernel_body;

inline void fiber_entry() {
  kernel_body();
  running->done = true;  // returning resumes the scheduler (uc_link)
}

// Runs body() as every thread of every block of a (grid, block) launch.
template <typename Body>
void launch(dim3 grid, dim3 block, Body body) {
  grid_size = grid;
  block_size = block;
  kernel_body = body;
  std::vector<Fiber> fibers(block.x);
  for (unsigned by = 0; by < grid.y; ++by) {
    for (unsigned bx = 0; bx < grid.x; ++bx) {
      block_index = dim3(bx, by);
      BlockState state(block.x);
      current_block = &state;
      for (unsigned t = 0; t < block.x; ++t) {
        Fiber& f = fibers[t];
        f.index = t;
        f.done = false;
        f.waiting = nullptr;
        getcontext(&f.context);
        f.context.uc_stack.ss_sp = f.stack.data();
        f.context.uc_stack.ss_size = f.stack.size();
        f.context.uc_link = &scheduler;
        makecontext(&f.context, fiber_entry, 0);
      }
      for (unsigned finished = 0; finished < block.x;) {
        bool progressed = false;
        finished = 0;
        for (Fiber& f : fibers) {
          if (f.done) {
            ++finished;
            continue;
          }
          if (f.waiting && !f.waiting->released(f.waiting_generation)) continue;
          f.waiting = nullptr;
          running = &f;
          thread_index = dim3(f.index);
          swapcontext(&scheduler, &f.context);
          progressed = true;
        }
        if (!progressed && finished < block.x) {
          throw std::logic_error("emulated CUDA block deadlocked: a barrier some threads skip");
        }
      }
      current_block = nullptr;
    }
  }
}

}  // namespace glide::cuda_emulation

#define threadIdx (glide::cuda_emulation::thread_index)
#define blockIdx (glide::cuda_emulation::block_index)
#define gridDim (glide::cuda_emulation::grid_size)
#define blockDim (glide::cuda_emulation::block_size)
#define GLIDE_LAUNCH(kernel, grid, threads, stream, ...) \
  glide::cuda_emulation::launch(dim3(grid), dim3(threads), [&] { kernel(__VA_ARGS__); })

inline void __syncthreads() {
  glide::cuda_emulation::current_block->block.wait();
}

// Fibers switch only at barriers, so a plain read-modify-write is atomic here.
inline float atomicAdd(float* address, float value) {
  const float old = *address;
  *address = old + value;
  return old;
}

// Every lane of the warp calls it (as the kernels do): lane i gets lane i + offset's value, or its
// own when that lane is past the warp's end.
inline float __shfl_down_sync(unsigned, float value, int offset) {
  auto& block = *glide::cuda_emulation::current_block;
  const unsigned t = threadIdx.x, warp = t / 32, lane = t % 32;
  block.lane_values[t] = value;
  block.warps[warp]->wait();
  const float result = lane + offset < 32 ? block.lane_values[t + offset] : value;
  block.warps[warp]->wait();
  return result;
}
