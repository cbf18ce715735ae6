#pragma once

// The resampling kernels' arguments from tensors, for resample.cpp on CUDA tensors and for the
// CPU emulation's test (tests/cuda), which runs the same kernels on CPU tensors.
#include <ATen/ATen.h>

#include <vector>

#include "cuda/kernels/resample_kernels.cuh"
#include "cuda/kernels/tensor_element.hpp"

namespace glide::cuda::kernels {

// The (n, c, h, w) shape of `in` after `mode`.
inline std::vector<int64_t> resampled_sizes(const at::Tensor& in, Resampling mode) {
  const bool up = mode == Resampling::nearest_up2;
  return {in.size(0), in.size(1), up ? in.size(2) * 2 : in.size(2) / 2,
          up ? in.size(3) * 2 : in.size(3) / 2};
}

// in and out channels-last of one float dtype, out of resampled_sizes(in, mode). The caller sets
// multiprocessors.
inline ResampleArgs resample_args(const at::Tensor& in, const at::Tensor& out, Resampling mode) {
  ResampleArgs args;
  args.element = element_of(in.scalar_type());
  args.mode = mode;
  args.in = in.data_ptr();
  args.out = out.data_ptr();
  args.n = in.size(0);
  args.c = in.size(1);
  args.h = in.size(2);
  args.w = in.size(3);
  return args;
}

}  // namespace glide::cuda::kernels
