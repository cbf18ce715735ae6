#pragma once

// The kernels' arguments from tensors, for fused_group_norm() on CUDA tensors and for the CPU
// emulation's test (tests/cuda), which runs the same kernels on CPU tensors.
#include <ATen/ATen.h>

#include "cuda/kernels/group_norm_kernels.cuh"
#include "cuda/kernels/tensor_element.hpp"

namespace glide::cuda::kernels {

// x (n, c, h, w) of float32, float16 or bfloat16 (the callers check) in NCHW or channels-last
// order, y like it; gamma and beta float32 (c); input_bias undefined or (c) of x's dtype,
// contiguous; scale_rows and shift_rows undefined or (n, c) of x's dtype with unit channel stride
// and one row stride between them. The caller sets multiprocessors, splits and workspace.
inline GroupNormArgs group_norm_args(const at::Tensor& x, const at::Tensor& y,
                                     const at::Tensor& gamma, const at::Tensor& beta,
                                     const at::Tensor& scale_rows, const at::Tensor& shift_rows,
                                     int64_t groups, double eps, bool silu,
                                     const at::Tensor& input_bias = {}) {
  GroupNormArgs args;
  args.element = element_of(x.scalar_type());
  args.x = x.data_ptr();
  args.y = y.data_ptr();
  args.gamma = gamma.data_ptr<float>();
  args.beta = beta.data_ptr<float>();
  if (scale_rows.defined()) {
    args.scale = scale_rows.data_ptr();
    args.shift = shift_rows.data_ptr();
    args.scale_row_stride = scale_rows.stride(0);
  }
  if (input_bias.defined()) args.input_bias = input_bias.data_ptr();
  args.n = x.size(0);
  args.c = x.size(1);
  args.hw = x.size(2) * x.size(3);
  args.groups = groups;
  args.eps = static_cast<float>(eps);
  args.silu = silu;
  args.channels_last = !x.is_contiguous();
  return args;
}

}  // namespace glide::cuda::kernels
