#pragma once

// One denoising stage as GLIDE's notebooks run it: text encoded once, classifier-free guidance
// on [prompts; negative prompt] when the stage is guided, the stage's conditioning (low_res,
// inpainting), thresholding, x_T scaled by the temperature, then the chosen sampler.
#include <torch/types.h>

#include <string>
#include <vector>

#include "glide/pipeline/guided_sampler.hpp"
#include "glide/samplers/noise.hpp"

namespace glide::pipeline {

struct StageRun {
  std::string name;  // what Progress::stage reports
  StageModel stage;
  BoundNetwork* network = nullptr;  // the sampler's, kept across calls for this model; required
  StageParams params;
  std::vector<std::string> prompts;  // one per image
  std::string negative_prompt;       // the unconditional half's prompt when guided
  Conditioning cond;                 // one row per image, on the device; doubled here if guided
  // Inpainting: the known image (B, 3, H, W) in [-1, 1] and mask (B, 1, H, W), 1 = keep; forced
  // into every predicted x_0. Undefined for the other stages.
  torch::Tensor known_image, known_mask;
  torch::Device device = torch::kCPU;
  bool preview = false;
};

// Returns the B samples, float32 (B, 3, S, S) on the device, S the model's image_size. `noise`
// gives x_T and each step's noise for the B images (the unconditional half of a guided batch
// gets zeros: it never reaches the kept samples). Throws glide::Error(cancelled) when `progress`
// returns false.
torch::Tensor run_stage(const StageRun& run, NoiseSource& noise, const ProgressCallback& progress);

// Tokens and mask for the prompts, encoded by the model's text encoder.
TextEmbedding encode_prompts(Text2ImUNet& model, const std::vector<std::string>& prompts,
                             torch::Device device);

}  // namespace glide::pipeline
