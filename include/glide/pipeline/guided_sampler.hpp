#pragma once

#include <torch/types.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "glide/models/bound_network.hpp"
#include "glide/models/text2im_unet.hpp"
#include "glide/pipeline/generation_params.hpp"
#include "glide/pipeline/stage_model.hpp"
#include "glide/samplers/noise.hpp"

namespace glide {

// What a progress callback sees after each denoising step.
struct Progress {
  std::string stage;  // "base", "upsampler", "inpaint", "upsampler-inpaint"
  int64_t step = 0;   // steps done in this stage, 1..total
  int64_t total = 0;
  // The step's timestep in the stage's full (unrespaced) schedule, e.g. 999 down to 0: what the
  // network saw at the step's first evaluation.
  int64_t timestep = -1;
  // With GenerationParams::preview, else undefined. All three are of the step's first network
  // evaluation (samplers such as heun evaluate twice), on the CPU, one row per image:
  torch::Tensor preview;  // the predicted x_0 as uint8 (B, H, W, 3) RGB
  torch::Tensor x_t;      // the noisy sample the network saw, float32 (B, 3, H, W)
  torch::Tensor x0;       // its predicted x_0 after thresholding, float32 (B, 3, H, W): in
                          // [-1, 1] unless the thresholding is "none"
};
// Returning false cancels the generation: generate() then throws glide::Error(cancelled).
using ProgressCallback = std::function<bool(const Progress&)>;

// Images as uint8 (B, H, W, 3) RGB on the CPU.
struct GenerationResult {
  torch::Tensor base;       // the base stage's output, e.g. 64x64
  torch::Tensor upsampled;  // the upsampler's output, e.g. 256x256; undefined when not run
};

// Where a stage's noise comes from instead of the seeds: for replaying recorded noise in tests.
// Called once per stage with the stage's name and batch size B; the source is asked for x_T
// (B, 3, S, S) (before the temperature), then for each step's (B, 3, S, S) noise.
using NoiseFactory =
    std::function<std::unique_ptr<NoiseSource>(const std::string& stage, int64_t batch)>;

// GLIDE's text → 64×64 → 256×256 pipeline, upsampling of a given image, and inpainting.
// The text encoder runs once per stage and generation, never once per step. Every call validates
// all of `params` (and that the models fit the call) before any work, runs under
// torch::InferenceMode, and moves the models to params.device and params.dtype when they are not
// there already; they stay there (the models are shared with the caller). Each model's network
// stays bound from one call to the next (BoundNetwork): on CUDA, a call with the batch size,
// dtype and device of the one before replays the CUDA graphs that call captured instead of
// capturing new ones. Not thread-safe; a copy shares the models but keeps no bound networks.
// One call at a time: a call (release_cached_networks included) made while another runs, from its
// progress callback say, throws glide::Error(unsupported) and leaves the running call intact.
class GuidedSampler {
 public:
  // Either model may be absent ({nullptr}) when its stages are not used. Models are put in eval
  // mode.
  GuidedSampler(StageModel base, StageModel upsampler);

  // Guided base stage on [prompts; negative_prompt], its 64×64 result quantized to 8 bits, then
  // (when params.upsample) the upsampler conditioned on it and on the prompts.
  GenerationResult generate(const GenerationParams& params, const ProgressCallback& progress = {});

  // Upsamples given images: uint8 (B, h, w, 3), one prompt per image or one for all. The batch
  // size is the images' B (params.batch_size is ignored); image k uses seed + k. The model
  // resizes h x w to its own size; sides over kMaxUpsampleInputSide are refused (as float they
  // would take gigabytes before being shrunk to a few dozen pixels).
  static constexpr int64_t kMaxUpsampleInputSide = 4096;
  torch::Tensor upsample(const torch::Tensor& images, const GenerationParams& params,
                         const ProgressCallback& progress = {});

  // Inpainting needs inpaint models (config.inpaint). image: uint8 (B, H, W, 3) or (H, W, 3) of
  // any size, B = 1 or params.batch_size, resized (bicubic, as PIL) to each stage's size; mask:
  // (B, H, W) or (H, W) of the image's aspect ratio, nonzero = keep, resized to the base size and
  // from there to the upsampler's with nearest neighbours (GLIDE's inpainting notebook). The known
  // region is forced into every predicted x_0, in both stages when upsampling. The notebook samples
  // this upsampler with DDPM: set params.upsampler = StageParams::upsampler_inpaint_defaults() for
  // it.
  GenerationResult inpaint(const torch::Tensor& image, const torch::Tensor& mask,
                           const GenerationParams& params, const ProgressCallback& progress = {});

  // Replaces the seeded per-image noise (tests replay recorded noise with it); empty restores it.
  void set_noise_factory(NoiseFactory factory) { noise_factory_ = std::move(factory); }

  // Frees what the last call left bound: on CUDA, each stage's captured graphs and the activation
  // memory they hold. The next call binds and captures afresh.
  void release_cached_networks();

  const StageModel& base() const { return base_; }
  const StageModel& upsampler() const { return upsampler_; }

 private:
  StageModel base_, upsampler_;
  NoiseFactory noise_factory_;
  BoundNetwork base_network_, upsampler_network_;  // for the base and inpaint stages; upsamplers
  // Set while a call runs (not copied: a copy starts idle). Atomic, so that a second thread's
  // call is refused rather than racing the first.
  struct Running {
    std::atomic<bool> on{false};
    Running() = default;
    Running(const Running&) {}
    Running& operator=(const Running&) { return *this; }
  } running_;
};

// [-1, 1] float (B, 3, H, W) ↔ uint8 (B, H, W, 3), rounding as GLIDE does ((x + 1) * 127.5).
torch::Tensor to_uint8_images(const torch::Tensor& x);
torch::Tensor from_uint8_images(const torch::Tensor& images);

}  // namespace glide
