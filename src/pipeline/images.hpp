#pragma once

// Image conversions and resizing for the pipeline's stages.
#include <torch/types.h>

#include <string>

namespace glide::pipeline {

// GLIDE's 8-bit round trip between stages: ((x + 1) * 127.5) rounded and clamped, back to
// [-1, 1]. Keeps x's device and dtype.
torch::Tensor quantize_8bit(const torch::Tensor& x);

// uint8 (B, H, W, 3) or (H, W, 3) → uint8 (B, size, size, 3), bicubic with PIL's kernel
// (antialiased when shrinking), rounded and clamped as PIL does. `what` names the argument.
torch::Tensor resize_images(const torch::Tensor& images, int64_t size, const std::string& what);

// A mask (B, H, W) or (H, W), nonzero = keep, of any dtype → float32 (B, 1, size, size) of 0 and
// 1, resized with nearest neighbours; a single mask is repeated over the batch.
torch::Tensor prepare_mask(const torch::Tensor& mask, int64_t batch, int64_t size,
                           const std::string& what);

}  // namespace glide::pipeline
