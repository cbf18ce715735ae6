#pragma once

// The channel concatenation kernel's arguments from tensors, for concat.cpp on CUDA tensors and
// for the CPU emulation's test (tests/cuda), which runs the same kernel on CPU tensors.
#include <ATen/ATen.h>

#include "cuda/kernels/concat_kernels.cuh"
#include "cuda/kernels/tensor_element.hpp"

namespace glide::cuda::kernels {

// a, b and out channels-last of one float dtype, out (n, c_a + c_b, h, w). The caller sets
// multiprocessors.
inline ConcatArgs concat_args(const at::Tensor& a, const at::Tensor& b, const at::Tensor& out) {
  ConcatArgs args;
  args.element = element_of(a.scalar_type());
  args.a = a.data_ptr();
  args.b = b.data_ptr();
  args.out = out.data_ptr();
  args.pixels = a.size(0) * a.size(2) * a.size(3);
  args.c_a = a.size(1);
  args.c_b = b.size(1);
  return args;
}

}  // namespace glide::cuda::kernels
