#pragma once

#include <torch/types.h>

#include <vector>

#include "glide/diffusion/denoise_fn.hpp"

namespace glide {

// Hooks on the predicted x_0 (SampleOptions::denoised_fn), applied before the [-1, 1] clipping.

// x_0 clamped to [-1, 1]: what clip_denoised does, for composing with other hooks.
DenoisedFn static_clipping();

// Imagen's dynamic thresholding (Saharia et al. 2022, sec. 2.3): per sample,
// s = max(1, quantile(|x_0|, percentile)), x_0 = clamp(x_0, −s, s) / s.
// Throws glide::Error(invalid_argument) unless 0 < percentile <= 1.
DenoisedFn dynamic_thresholding(double percentile = 0.995);

// GLIDE's inpainting: x_0 is replaced by `image` where `mask` is 1 (keep) and left where it is 0
// (fill in): x_0 · (1 − mask) + image · mask. Both must broadcast to x_0's shape, e.g. image
// (B, 3, H, W) and mask (B, 1, H, W); the returned function throws glide::Error otherwise.
DenoisedFn keep_known_region(torch::Tensor image, torch::Tensor mask);

// The hooks applied one after the other, in order; empty entries are skipped.
DenoisedFn chain_denoised(std::vector<DenoisedFn> hooks);

}  // namespace glide
