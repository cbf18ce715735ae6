#pragma once

// The bias + residual kernel's arguments from tensors, for add_bias_residual() on CUDA tensors and
// for the CPU emulation's test (tests/cuda), which runs the same kernels on CPU tensors.
#include <ATen/ATen.h>

#include "cuda/kernels/bias_residual_kernels.cuh"
#include "cuda/kernels/tensor_element.hpp"

namespace glide::cuda::kernels {

// h, skip and out (n, c, h, w) of one float dtype and shape, dense in one layout (channels-last
// unless all three are contiguous); bias (c) of that dtype, contiguous. The caller sets
// multiprocessors.
inline BiasResidualArgs bias_residual_args(const at::Tensor& h, const at::Tensor& skip,
                                           const at::Tensor& bias, const at::Tensor& out) {
  BiasResidualArgs args;
  args.element = element_of(h.scalar_type());
  args.h = h.data_ptr();
  args.skip = skip.data_ptr();
  args.bias = bias.data_ptr();
  args.out = out.data_ptr();
  args.n = h.size(0);
  args.c = h.size(1);
  args.hw = h.size(2) * h.size(3);
  // With a single pixel or channel the two orders coincide.
  args.channels_last = !(h.is_contiguous() && skip.is_contiguous() && out.is_contiguous());
  return args;
}

}  // namespace glide::cuda::kernels
