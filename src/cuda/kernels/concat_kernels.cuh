#pragma once

// Launcher of the channel concatenation kernel (concat_kernels.cu). Plain C++ types only, so that
// concat.cpp, compiled by the C++ compiler against LibTorch, can call it.
#include "cuda/kernels/element.cuh"

namespace glide::cuda::kernels {

// out = cat([a, b], channels) for channels-last (NHWC) tensors a (n, c_a, h, w) and b (n, c_b,
// h, w) of one dtype: each pixel of out holds a's channels, then b's.
struct ConcatArgs {
  Element element;
  const void* a;
  const void* b;
  void* out;       // (n, c_a + c_b, h, w), channels-last
  int64_t pixels;  // n * h * w
  int64_t c_a, c_b;
  int multiprocessors;  // the device's, to size the launch
};

// Whether the kernel moves 16-byte packs (both channel counts multiples of the pack, every
// tensor aligned), else one element at a time.
bool concat_packed(const ConcatArgs& args);

cudaError_t launch_concat(const ConcatArgs& args, cudaStream_t stream);

}  // namespace glide::cuda::kernels
