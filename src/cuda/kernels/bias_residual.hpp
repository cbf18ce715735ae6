#pragma once

// A convolution's bias and a residual sum in one pass on CUDA (bias_residual_kernels.cu); built
// only with glide's CUDA kernels (src/CMakeLists.txt). This header needs no CUDA headers.
#include <torch/types.h>

namespace glide::cuda {

// Whether add_bias_residual takes h and skip: 4-D CUDA tensors of float32, float16 or bfloat16,
// of one dtype and shape, both dense in one layout (NCHW or channels-last).
bool bias_residual_takes(const torch::Tensor& h, const torch::Tensor& skip);

// skip + (h + bias), bias (C) broadcast over the channels, in one pass with float32 arithmetic and
// one rounding: what `skip + conv(x)` gives when h is conv(x) without its bias. out has h's
// layout. No autograd: callers use it only when gradients are off.
torch::Tensor add_bias_residual(const torch::Tensor& h, const torch::Tensor& skip,
                                const torch::Tensor& bias);

}  // namespace glide::cuda
