#pragma once

// The concatenation of two channels-last tensors along their channels on CUDA with glide's
// kernel (concat_kernels.cu); built only with glide's CUDA kernels (src/CMakeLists.txt). This
// header needs no CUDA headers.
#include <torch/types.h>

namespace glide::cuda {

// Whether concat_channels takes a and b: 4-D channels-last CUDA tensors of one float dtype
// (float32, float16 or bfloat16), device, batch and size.
bool concat_channels_takes(const torch::Tensor& a, const torch::Tensor& b);

// at::cat({a, b}, 1), channels-last. No autograd: callers use it only when gradients are off.
torch::Tensor concat_channels(const torch::Tensor& a, const torch::Tensor& b);

}  // namespace glide::cuda
