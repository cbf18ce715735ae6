#pragma once

// Launcher of the bias + residual kernel (bias_residual_kernels.cu). Plain C++ types only, so
// that bias_residual.cpp, compiled by the C++ compiler against LibTorch, can call it.
#include "cuda/kernels/element.cuh"

namespace glide::cuda::kernels {

// out = skip + (h + bias[channel]) for 4-D tensors (n, c, h, w) of one dtype and one layout
// (NCHW or channels-last), float32 arithmetic and one rounding at the store.
struct BiasResidualArgs {
  Element element;
  const void* h;
  const void* skip;
  const void* bias;  // (c) of the tensors' dtype
  void* out;
  int64_t n, c, hw;
  bool channels_last;
  int multiprocessors;  // the device's, to size the launch
};

// Whether the kernel moves 16-byte packs for these tensors (else one element at a time).
bool bias_residual_packed(const BiasResidualArgs& args);

cudaError_t launch_bias_residual(const BiasResidualArgs& args, cudaStream_t stream);

}  // namespace glide::cuda::kernels
