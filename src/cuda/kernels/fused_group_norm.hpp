#pragma once

// The fused group norm on CUDA (group_norm_kernels.cu); built only when LibTorch has CUDA
// (src/CMakeLists.txt). This header needs no CUDA headers.
#include <torch/types.h>

namespace glide::cuda {

// Whether fused_group_norm() takes x: a 4-D CUDA tensor of float32, float16 or bfloat16.
bool fused_group_norm_takes(const torch::Tensor& x);

// act(GroupNorm(x + input_bias; groups, gamma, beta, eps) * (1 + scale) + shift) in one pass
// over x, with the statistics and arithmetic in float32 and one rounding to x's dtype: what
// GLIDE's float32 norm followed by its scale/shift and SiLU computes, with fewer roundings.
// scale and shift are both undefined or both (N, C, 1, 1) (or (N, C)); input_bias, undefined or
// C values, is the bias of the convolution that produced x, added as x is read instead of in a
// pass of its own. x in NCHW or channels-last order keeps it. No autograd: callers use it only
// when gradients are off.
torch::Tensor fused_group_norm(const torch::Tensor& x, int64_t groups, const torch::Tensor& gamma,
                               const torch::Tensor& beta, double eps, const torch::Tensor& scale,
                               const torch::Tensor& shift, bool silu,
                               const torch::Tensor& input_bias = {});

}  // namespace glide::cuda
