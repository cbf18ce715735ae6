#pragma once

#include <torch/types.h>

#include <functional>
#include <optional>
#include <string>

#include "glide/diffusion/gaussian_diffusion.hpp"
#include "glide/models/text2im_unet.hpp"
#include "glide/pipeline/generation_params.hpp"

namespace glide {

// What a progress callback sees after each denoising step.
struct Progress {
  std::string stage;  // "base", "upsampler", "inpaint", "upsampler-inpaint"
  int64_t step = 0;   // steps done in this stage, 1..total
  int64_t total = 0;
  torch::Tensor preview;  // with GenerationParams::preview: uint8 (B, H, W, 3) predicted x_0
};
// Returning false cancels the generation: generate() then throws glide::Error(cancelled).
using ProgressCallback = std::function<bool(const Progress&)>;

// Images as uint8 (B, H, W, 3) RGB on the CPU.
struct GenerationResult {
  torch::Tensor base;       // the base stage's output, e.g. 64x64
  torch::Tensor upsampled;  // the upsampler's output, e.g. 256x256; undefined when not run
};

// A model with the diffusion it was trained with.
struct StageModel {
  Text2ImUNet model{nullptr};
  DiffusionConfig diffusion;  // diffusion_steps and noise_schedule; respacing comes per call
};

// GLIDE's text → 64×64 → 256×256 pipeline, upsampling of a given image, and inpainting.
// The text encoder runs once per stage and generation, never once per step.
class GuidedSampler {
 public:
  // Either model may be absent ({nullptr}) when its stages are not used.
  GuidedSampler(StageModel base, StageModel upsampler);

  GenerationResult generate(const GenerationParams& params, const ProgressCallback& progress = {});

  // Upsamples given images: uint8 (B, h, w, 3), one prompt per image or one for all.
  torch::Tensor upsample(const torch::Tensor& images, const GenerationParams& params,
                         const ProgressCallback& progress = {});

  // Inpainting needs inpaint models (config.inpaint). image: uint8 (B, H, W, 3) at the base
  // model's size; mask: (B, H, W) or (H, W), nonzero = keep. The known region is forced into
  // every predicted x_0 (GLIDE's inpainting), in both stages when upsampling.
  GenerationResult inpaint(const torch::Tensor& image, const torch::Tensor& mask,
                           const GenerationParams& params, const ProgressCallback& progress = {});

  const StageModel& base() const { return base_; }
  const StageModel& upsampler() const { return upsampler_; }

 private:
  StageModel base_, upsampler_;
};

// [-1, 1] float (B, 3, H, W) ↔ uint8 (B, H, W, 3), rounding as GLIDE does ((x + 1) * 127.5).
torch::Tensor to_uint8_images(const torch::Tensor& x);
torch::Tensor from_uint8_images(const torch::Tensor& images);

}  // namespace glide
