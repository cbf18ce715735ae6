#include "glide/pipeline/guided_sampler.hpp"

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <torch/nn/module.h>

#include <algorithm>
#include <atomic>
#include <tuple>
#include <utility>

#include "glide/error.hpp"
#include "glide/io/checkpoint.hpp"
#include "glide/pipeline/per_image_noise.hpp"
#include "glide/runtime.hpp"
#include "pipeline/images.hpp"
#include "pipeline/out_of_memory.hpp"
#include "pipeline/stage.hpp"

namespace glide {
namespace {

using pipeline::StageRun;

// What a call needs of a stage's model.
struct Need {
  const char* role;  // "base model", "upsampler model"
  bool super_res;
  bool inpaint;
};

const char* variant_name(bool super_res, bool inpaint) {
  if (super_res) return inpaint ? "an inpainting upsampler" : "an upsampler";
  return inpaint ? "an inpainting base model" : "a base model";
}

void check_model(const StageModel& stage, const Need& need, const char* call) {
  const char* wanted = variant_name(need.super_res, need.inpaint);
  if (!stage.model) {
    throw Error(Status::invalid_argument,
                fmt::format("{}: no {} was given; this call needs {}", call, need.role, wanted));
  }
  const ModelConfig& c = stage.model->config();
  if (c.super_res != need.super_res || c.inpaint != need.inpaint) {
    throw Error(Status::invalid_argument,
                fmt::format("{}: the {} is {} (super_res={}, inpaint={}); this "
                            "call needs {}",
                            call, need.role, variant_name(c.super_res, c.inpaint), c.super_res,
                            c.inpaint, wanted));
  }
}

// Validates the params, each stage's respacing against its model's process length included.
void validate_for(const GenerationParams& params, const StageModel* base,
                  const StageModel* upsampler) {
  params.validate();
  if (base) params.base.validate("base", base->diffusion.diffusion_steps);
  if (upsampler) params.upsampler.validate("upsampler", upsampler->diffusion.diffusion_steps);
}

torch::Device resolve(torch::Device device) {
  if (device.is_cuda() && !device.has_index()) return torch::Device(torch::kCUDA, 0);
  return device;
}

// Moves a model where the generation runs; a no-op when it is there already.
void prepare(const StageModel& stage, torch::Device device, torch::Dtype dtype) {
  Text2ImUNet model = stage.model;
  const std::string context = fmt::format("moving the {} model to {} in {}",
                                          model->config().super_res ? "upsampler" : "base",
                                          device.str(), io::dtype_name(dtype));
  pipeline::translating_out_of_memory(context, device.is_cuda(), [&] {
    const auto parameters = model->parameters();
    const bool moved = !parameters.empty() && parameters.front().device() != device;
    if (moved) model->to(device);
    // Again after a move: the weights' layout (channels-last) depends on the device.
    // A call's dtype is for that call: narrowing keeps the float32 weights for the next call.
    if (moved || model->compute_dtype() != dtype) {
      model->set_compute_dtype(dtype, Text2ImUNetImpl::Float32Weights::keep);
    }
  });
}

// Each stage's noise: the seeded per-image generators, continued from stage to stage, or the
// test hook's sources.
class GenerationNoise {
 public:
  GenerationNoise(uint64_t seed, int64_t batch, const NoiseFactory& factory)
      : seeded_(PerImageNoise::consecutive(seed, batch)), factory_(factory), batch_(batch) {}

  NoiseSource& for_stage(const std::string& stage) {
    if (!factory_) return seeded_;
    replaced_ = factory_(stage, batch_);
    if (!replaced_) {
      throw Error(Status::invalid_argument,
                  fmt::format("the noise factory gave no noise source for stage {}", stage));
    }
    return *replaced_;
  }

 private:
  PerImageNoise seeded_;
  const NoiseFactory& factory_;
  int64_t batch_;
  std::unique_ptr<NoiseSource> replaced_;
};

StageRun make_run(std::string name, const StageModel& stage, BoundNetwork& network,
                  const StageParams& stage_params, const GenerationParams& params,
                  std::vector<std::string> prompts) {
  StageRun run;
  run.name = std::move(name);
  run.stage = stage;
  run.network = &network;
  run.params = stage_params;
  run.prompts = std::move(prompts);
  run.negative_prompt = params.negative_prompt;
  run.device = resolve(params.device);
  run.preview = params.preview;
  return run;
}

// Marks a sampler's call as running for its lifetime; refuses to start while another runs: a
// call from a progress callback would re-bind or free the networks the running call is using.
class RunningCall {
 public:
  RunningCall(std::atomic<bool>& running, const char* call) : running_(running) {
    if (running_.exchange(true)) {
      throw Error(Status::unsupported,
                  fmt::format("{}: the pipeline is already running a call (this one was made "
                              "from its progress callback, or from another thread); a pipeline "
                              "runs one call at a time: call it after that one returns, or use "
                              "another pipeline",
                              call));
    }
  }
  ~RunningCall() { running_ = false; }
  RunningCall(const RunningCall&) = delete;
  RunningCall& operator=(const RunningCall&) = delete;

 private:
  std::atomic<bool>& running_;
};

}  // namespace

GuidedSampler::GuidedSampler(StageModel base, StageModel upsampler)
    : base_(std::move(base)), upsampler_(std::move(upsampler)) {
  // A model in the other stage's slot could serve no call: refused now, not at the first call.
  for (const auto& [stage, super_res] : {std::pair{&base_, false}, std::pair{&upsampler_, true}}) {
    if (!stage->model || stage->model->config().super_res == super_res) continue;
    const ModelConfig& c = stage->model->config();
    throw Error(Status::invalid_argument,
                fmt::format("GuidedSampler: the {} model is {} (super_res={}); give {} there "
                            "(were the two models swapped?)",
                            super_res ? "upsampler" : "base", variant_name(c.super_res, c.inpaint),
                            c.super_res, super_res ? "an upsampler" : "a base model"));
  }
  ensure_threads();  // Debian's LibTorch starts with one thread; use every core by default
  if (base_.model) base_.model->eval();
  if (upsampler_.model) upsampler_.model->eval();
}

GenerationResult GuidedSampler::generate(const GenerationParams& params,
                                         const ProgressCallback& progress) {
  const RunningCall running(running_.on, "generate");
  check_model(base_, {"base model", false, false}, "generate");
  if (params.upsample) check_model(upsampler_, {"upsampler model", true, false}, "generate");
  validate_for(params, &base_, params.upsample ? &upsampler_ : nullptr);
  const torch::Device device = resolve(params.device);
  prepare(base_, device, params.dtype);
  if (params.upsample) prepare(upsampler_, device, params.dtype);

  torch::InferenceMode inference;
  const std::vector<std::string> prompts = params.expanded_prompts();
  GenerationNoise noise(params.seed, params.batch_size, noise_factory_);
  GenerationResult result;
  const StageRun base = make_run("base", base_, base_network_, params.base, params, prompts);
  const torch::Tensor x = pipeline::run_stage(base, noise.for_stage(base.name), progress);
  result.base = to_uint8_images(x);
  if (params.upsample) {
    StageRun up =
        make_run("upsampler", upsampler_, upsampler_network_, params.upsampler, params, prompts);
    up.cond.low_res = pipeline::quantize_8bit(x);
    result.upsampled = to_uint8_images(pipeline::run_stage(up, noise.for_stage(up.name), progress));
  }
  return result;
}

void GuidedSampler::release_cached_networks() {
  const RunningCall running(running_.on, "release_cached_networks");
  base_network_.reset();
  upsampler_network_.reset();
}

torch::Tensor GuidedSampler::upsample(const torch::Tensor& images, const GenerationParams& params,
                                      const ProgressCallback& progress) {
  const RunningCall running(running_.on, "upsample");
  check_model(upsampler_, {"upsampler model", true, false}, "upsample");
  if (images.defined() && images.dim() == 4 &&
      std::max(images.size(1), images.size(2)) > kMaxUpsampleInputSide) {
    throw Error(Status::invalid_argument,
                fmt::format("the images to upsample are {}x{} (H x W); an upsampler takes "
                            "low-resolution images (this one makes {}x{}) of at most {} pixels a "
                            "side: resize them first",
                            images.size(1), images.size(2), upsampler_.model->config().image_size,
                            upsampler_.model->config().image_size, kMaxUpsampleInputSide));
  }
  const torch::Tensor low_res = from_uint8_images(images);  // checks the layout
  GenerationParams p = params;
  p.batch_size = low_res.size(0);
  // The batch is the images': said in their terms (validate would speak of batch_size).
  if (p.batch_size > GenerationParams::kMaxBatchSize) {
    throw Error(Status::invalid_argument,
                fmt::format("upsample: {} images at once; at most {} (upsample them in parts)",
                            p.batch_size, GenerationParams::kMaxBatchSize));
  }
  if (p.prompts.size() != 1 && static_cast<int64_t>(p.prompts.size()) != p.batch_size) {
    throw Error(Status::invalid_argument,
                fmt::format("upsample: {} prompts for {} images; give one prompt for every "
                            "image, or one for all",
                            p.prompts.size(), p.batch_size));
  }
  validate_for(p, nullptr, &upsampler_);
  const torch::Device device = resolve(p.device);
  prepare(upsampler_, device, p.dtype);

  torch::InferenceMode inference;
  GenerationNoise noise(p.seed, p.batch_size, noise_factory_);
  StageRun up =
      make_run("upsampler", upsampler_, upsampler_network_, p.upsampler, p, p.expanded_prompts());
  up.cond.low_res = low_res.to(device);
  return to_uint8_images(pipeline::run_stage(up, noise.for_stage(up.name), progress));
}

GenerationResult GuidedSampler::inpaint(const torch::Tensor& image, const torch::Tensor& mask,
                                        const GenerationParams& params,
                                        const ProgressCallback& progress) {
  const RunningCall running(running_.on, "inpaint");
  check_model(base_, {"base model", false, true}, "inpaint");
  if (params.upsample) check_model(upsampler_, {"upsampler model", true, true}, "inpaint");
  validate_for(params, &base_, params.upsample ? &upsampler_ : nullptr);
  const int64_t batch = params.batch_size;
  const int64_t image_batch = image.defined() && image.dim() == 4 ? image.size(0) : 1;
  if (image_batch != 1 && image_batch != batch) {
    throw Error(Status::invalid_argument,
                fmt::format("image holds {} images but batch_size is {}; give batch_size = {} "
                            "(one result per image), or one image for every result",
                            image_batch, batch, image_batch));
  }
  // Both are stretched to each stage's square: a mask of another aspect ratio than the image's
  // would cover another region than the one it was drawn on. A scaled copy is fine.
  if (image.defined() && mask.defined() && image.dim() >= 3 && mask.dim() >= 2) {
    const int64_t image_h = image.size(image.dim() - 3), image_w = image.size(image.dim() - 2);
    const int64_t mask_h = mask.size(-2), mask_w = mask.size(-1);
    if (image_h * mask_w != image_w * mask_h) {
      throw Error(Status::invalid_argument,
                  fmt::format("mask is {}x{} (H x W) but image is {}x{}: give a mask of the "
                              "image's shape (or a scaled copy of it), so that it covers the "
                              "region it was drawn on",
                              mask_h, mask_w, image_h, image_w));
    }
  }
  const torch::Device device = resolve(params.device);
  // The known image (resized from the given one) and mask at a stage's size, one row per image.
  const auto known = [&](int64_t size, const torch::Tensor& stage_mask) {
    const torch::Tensor pixels = pipeline::resize_images(image, size, "image");
    return std::make_pair(from_uint8_images(pixels).expand({batch, 3, size, size}).to(device),
                          stage_mask.to(device));
  };
  const int64_t base_size = base_.model->config().image_size;
  const torch::Tensor base_mask = pipeline::prepare_mask(mask, batch, base_size, "mask");
  auto base_known = known(base_size, base_mask);
  prepare(base_, device, params.dtype);
  if (params.upsample) prepare(upsampler_, device, params.dtype);

  torch::InferenceMode inference;
  const std::vector<std::string> prompts = params.expanded_prompts();
  GenerationNoise noise(params.seed, batch, noise_factory_);
  GenerationResult result;
  StageRun base = make_run("inpaint", base_, base_network_, params.base, params, prompts);
  std::tie(base.known_image, base.known_mask) = std::move(base_known);
  base.cond.inpaint_image = base.known_image * base.known_mask;
  base.cond.inpaint_mask = base.known_mask;
  const torch::Tensor x = pipeline::run_stage(base, noise.for_stage(base.name), progress);
  result.base = to_uint8_images(x);
  if (params.upsample) {
    const int64_t size = upsampler_.model->config().image_size;
    StageRun up = make_run("upsampler-inpaint", upsampler_, upsampler_network_, params.upsampler,
                           params, prompts);
    std::tie(up.known_image, up.known_mask) =
        known(size, pipeline::prepare_mask(base_mask.squeeze(1), batch, size, "mask"));
    up.cond.low_res = pipeline::quantize_8bit(x);
    up.cond.inpaint_image = up.known_image * up.known_mask;
    up.cond.inpaint_mask = up.known_mask;
    result.upsampled = to_uint8_images(pipeline::run_stage(up, noise.for_stage(up.name), progress));
  }
  return result;
}

}  // namespace glide
