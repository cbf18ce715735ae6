#pragma once

// A ResBlock's resamplings on CUDA with glide's kernels (resample_kernels.cu); built only with
// them (src/CMakeLists.txt). This header needs no CUDA headers.
#include <torch/types.h>

namespace glide::cuda {

// Whether the kernels take x: a 4-D channels-last CUDA tensor of float32, float16 or bfloat16
// (for the mean, of even height and width).
bool upsample_nearest_2x_takes(const torch::Tensor& x);
bool average_pool_2x_takes(const torch::Tensor& x);

// at::upsample_nearest2d(x, 2x) and at::avg_pool2d(x, 2, 2) with the same results (the mean in
// float32, rounded once), channels-last out. No autograd: callers use them only when gradients
// are off.
torch::Tensor upsample_nearest_2x(const torch::Tensor& x);
torch::Tensor average_pool_2x(const torch::Tensor& x);

}  // namespace glide::cuda
