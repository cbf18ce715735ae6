#pragma once

#include <torch/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace glide {

// How one denoising stage samples. The defaults are the reference's base stage.
struct StageParams {
  std::string sampler = "ddpm";   // a name from sampler_names(): "ddpm", "ddim", "dpm++2m", ...
  std::string respacing = "100";  // a timestep_respacing string: "N", "a,b,c", "ddimN", "fast27"
  // The samplers' noise scale: unset is each sampler's default (ddim 0, euler_a and
  // dpm++2m_sde 1); samplers without one accept only 0 or unset.
  std::optional<double> eta;
  // Classifier-free guidance scale; 1 = conditional model alone, 0 = unconditional alone.
  // Stages without guidance (GLIDE's upsampler) ignore it when `guided` is false.
  bool guided = true;
  double guidance_scale = 3.0;
  double guidance_rescale = 0.0;  // Lin et al. 2023, in [0, 1]
  // What bounds each predicted x_0: "clip" (to [-1, 1], GLIDE's), "dynamic" (Imagen's dynamic
  // thresholding at `dynamic_percentile`) or "none".
  std::string thresholding = "clip";
  double dynamic_percentile = 0.995;
  double temperature = 1.0;  // x_T ~ N(0, temperature^2 I)

  // The reference's defaults: base 100-step guided DDPM at scale 3; upsampler fast27 DDIM,
  // unguided, temperature 0.997.
  static StageParams base_defaults();
  static StageParams upsampler_defaults();
  // GLIDE's inpainting notebook runs its upsampler with DDPM (still fast27, unguided, 0.997).
  static StageParams upsampler_inpaint_defaults();

  // Throws glide::Error(invalid_argument) naming `stage`.field, the value and the allowed range.
  // The respacing is checked against a process of `diffusion_steps` steps (the model's); 0 (the
  // model not yet known) checks only that some process could meet it.
  void validate(const std::string& stage, int64_t diffusion_steps = 0) const;
};

// Everything one generation depends on. Validated as a whole before any work starts.
struct GenerationParams {
  static constexpr int64_t kMaxBatchSize = 256;

  // One prompt per image, or a single prompt for all `batch_size` images. A model reads only the
  // first text_ctx tokens (128 for GLIDE's) of each, as the reference does; the rest is ignored
  // (the CLI notes it; Tokenizer::encode tells how many tokens a prompt has).
  std::vector<std::string> prompts;
  int64_t batch_size = 1;
  // The guidance's unconditional prompt; a non-empty one acts as a negative prompt.
  std::string negative_prompt;
  StageParams base = StageParams::base_defaults();
  StageParams upsampler = StageParams::upsampler_defaults();
  bool upsample = true;  // run the upsampler stage after the base stage
  // Image k of a batch draws all its noise (x_T and every step, in every stage) from one CPU
  // generator seeded with seed + k, so it equals a generation of that image alone with seed + k
  // (up to floating-point reassociation in batched kernels).
  uint64_t seed = 0;
  torch::Device device = torch::kCPU;
  torch::Dtype dtype = torch::kFloat32;  // float32, float16 (CUDA) or bfloat16
  bool preview = false;                  // pass each step's predicted x_0 to the progress callback

  // Checks every field, both stages included, before any work: glide::Error(invalid_argument)
  // naming the field ("base.guidance_scale", "prompts[2]", "device"), its value and what is
  // allowed.
  void validate() const;
  // The prompts expanded to batch_size entries.
  std::vector<std::string> expanded_prompts() const;
};

}  // namespace glide
