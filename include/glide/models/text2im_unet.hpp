#pragma once

#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include "glide/models/config.hpp"

namespace glide {

// The text encoder's outputs; computed once per prompt batch and reused at every step.
struct TextEmbedding {
  torch::Tensor xf_proj;  // (B, 4 * num_channels), added to the timestep embedding
  torch::Tensor xf_out;   // (B, xf_width, text_ctx), attended to by every attention block
};

// What the variants need besides x_t: the super-resolution models' low-resolution image and the
// inpainting models' known image and mask (1 = keep). Undefined tensors mean "not given".
struct Conditioning {
  torch::Tensor low_res;        // (B, 3, h, w) in [-1, 1], upsampled bilinearly inside
  torch::Tensor inpaint_image;  // (B, 3, H, W) in [-1, 1]
  torch::Tensor inpaint_mask;   // (B, 1, H, W)
};

class Text2ImUNetImpl;

}  // namespace glide
