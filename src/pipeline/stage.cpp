#include "pipeline/stage.hpp"

#include <ATen/ATen.h>
#include <fmt/format.h>

#include <memory>
#include <string>
#include <vector>

#include "glide/diffusion/gaussian_diffusion.hpp"
#include "glide/error.hpp"
#include "glide/guidance/classifier_free.hpp"
#include "glide/guidance/denoised.hpp"
#include "glide/io/checkpoint.hpp"
#include "glide/models/bound_network.hpp"
#include "glide/models/network_call.hpp"
#include "glide/pipeline/non_finite_images.hpp"
#include "glide/samplers/sampler.hpp"
#include "glide/tokenizer.hpp"
#include "pipeline/out_of_memory.hpp"

namespace glide::pipeline {
namespace {

// Serves a guided batch [cond; uncond] from noise for the B kept images: the unconditional half
// gets zeros, since guidance reads only x[:B] and that half never reaches the result.
class GuidanceNoise : public NoiseSource {
 public:
  GuidanceNoise(NoiseSource& kept, int64_t rows) : kept_(kept), rows_(rows) {}

  torch::Tensor next(at::IntArrayRef shape, const at::TensorOptions& options) override {
    if (shape.empty() || shape[0] != 2 * rows_) return kept_.next(shape, options);
    std::vector<int64_t> half(shape.begin(), shape.end());
    half[0] = rows_;
    const torch::Tensor cond = kept_.next(half, options);
    return at::cat({cond, at::zeros_like(cond)});
  }

 private:
  NoiseSource& kept_;
  int64_t rows_;
};

torch::Tensor doubled(const torch::Tensor& t) {
  return t.defined() ? at::cat({t, t}) : t;
}

DenoisedFn thresholding_hook(const StageParams& params) {
  if (params.thresholding == "dynamic") return dynamic_thresholding(params.dynamic_percentile);
  return nullptr;  // "clip" is clip_denoised, "none" is nothing
}

}  // namespace

TextEmbedding encode_prompts(Text2ImUNet& model, const std::vector<std::string>& prompts,
                             torch::Device device) {
  const Tokenizer& tokenizer = Tokenizer::gpt2();
  const int64_t ctx = model->config().text_ctx;
  std::vector<int64_t> ids;
  std::vector<uint8_t> mask;
  ids.reserve(prompts.size() * static_cast<size_t>(ctx));
  mask.reserve(ids.capacity());
  for (const std::string& prompt : prompts) {
    const auto padded =
        tokenizer.padded_tokens_and_mask(tokenizer.encode(prompt, static_cast<size_t>(ctx)), ctx);
    ids.insert(ids.end(), padded.tokens.begin(), padded.tokens.end());
    mask.insert(mask.end(), padded.mask.begin(), padded.mask.end());
  }
  const auto batch = static_cast<int64_t>(prompts.size());
  const torch::Tensor tokens =
      at::tensor(ids, at::TensorOptions().dtype(at::kLong)).view({batch, ctx}).to(device);
  const torch::Tensor token_mask = at::tensor(mask, at::TensorOptions().dtype(at::kByte))
                                       .view({batch, ctx})
                                       .to(device, at::kBool);
  return model->encode_text(tokens, token_mask);
}

namespace {

// NaN or infinity in a stage's result would quantize to a black image without a word: overflow in
// the sampling (a huge temperature, or a huge guidance scale without thresholding) or a model
// whose weights are not finite. One check per stage, where the images go to the host anyway.
void require_finite(const torch::Tensor& images, const StageRun& run) {
  const torch::Tensor finite = at::isfinite(images).flatten(1).all(1).cpu();
  std::vector<std::string> bad;
  for (int64_t k = 0; k < finite.size(0); ++k) {
    if (!finite[k].item<bool>()) bad.push_back(std::to_string(k));
  }
  if (bad.empty()) return;
  const StageParams& p = run.params;
  // Clipping x_0 bounds what a huge guidance scale can do; advise it only where it is not used.
  const std::string clip_advice = p.thresholding == "clip" ? "" : ", threshold with \"clip\"";
  throw NonFiniteImages(
      fmt::format("stage {}: image {} of the batch came out as NaN or infinity, not an "
                  "image (temperature {}, guidance_scale {}, thresholding {}): lower the "
                  "temperature{}{}, or check that the model's weights are finite",
                  run.name, fmt::join(bad, ", "), p.temperature,
                  p.guided ? fmt::format("{}", p.guidance_scale) : std::string("off"),
                  p.thresholding, p.guided ? " or guidance scale" : "", clip_advice));
}

torch::Tensor run_stage_unguarded(const StageRun& run, NoiseSource& noise,
                                  const ProgressCallback& progress) {
  const StageParams& p = run.params;
  Text2ImUNet model = run.stage.model;
  const auto batch = static_cast<int64_t>(run.prompts.size());
  const int64_t size = model->config().image_size;

  DiffusionConfig diffusion_config = run.stage.diffusion;
  diffusion_config.timestep_respacing = p.respacing;
  const GaussianDiffusion diffusion = GaussianDiffusion::from_config(diffusion_config);
  const std::unique_ptr<Sampler> sampler = make_sampler(p.sampler, SamplerParams{p.eta});

  std::vector<std::string> prompts = run.prompts;
  Conditioning cond = run.cond;
  torch::Tensor known_image = run.known_image, known_mask = run.known_mask;
  if (p.guided) {
    prompts.insert(prompts.end(), run.prompts.size(), run.negative_prompt);
    cond = {doubled(cond.low_res), doubled(cond.inpaint_image), doubled(cond.inpaint_mask)};
    known_image = doubled(known_image);
    known_mask = doubled(known_mask);
  }
  const TextEmbedding text = encode_prompts(model, prompts, run.device);
  NetworkFn network = run.network->bind(model, text, cond);
  DenoiseFn denoise = eps_prediction(
      [network = std::move(network)](const torch::Tensor& x, const torch::Tensor& t) {
        return split_model_output(network(x, t));
      },
      run.stage.diffusion);
  if (p.guided) denoise = classifier_free_guidance(denoise, p.guidance_scale, p.guidance_rescale);

  // The preview: x_t and the predicted x_0 of each step's first network evaluation, kept until
  // the step's report (a heun step evaluates twice; its report shows the first).
  struct FirstEvaluation {
    torch::Tensor x_t, x0;
  };
  auto first = std::make_shared<FirstEvaluation>();
  if (run.preview) {
    denoise = [inner = std::move(denoise), first, batch](const torch::Tensor& x,
                                                         const torch::Tensor& t) {
      if (!first->x_t.defined()) first->x_t = x.narrow(0, 0, batch).clone();
      return inner(x, t);
    };
  }

  // Thresholding first, then the known region (so it is kept exactly), then the preview's view.
  std::vector<DenoisedFn> hooks{thresholding_hook(p)};
  if (known_image.defined()) hooks.push_back(keep_known_region(known_image, known_mask));
  if (run.preview) {
    const bool clip = p.thresholding == "clip";  // applied after the hooks: the preview does it
    hooks.push_back([first, batch, clip](const torch::Tensor& x0) {
      if (!first->x0.defined()) {
        const torch::Tensor rows = x0.narrow(0, 0, batch);
        first->x0 = clip ? rows.clamp(-1, 1) : rows.clone();
      }
      return x0;
    });
  }
  SampleOptions options;
  options.clip_denoised = p.thresholding == "clip";
  options.denoised_fn = chain_denoised(std::move(hooks));
  if (progress) {
    options.progress = [&](int64_t step, int64_t total) {
      Progress report;
      report.stage = run.name;
      report.step = step;
      report.total = total;
      report.timestep =
          diffusion.original_timesteps(at::full({1}, total - step, at::kLong)).item<int64_t>();
      if (run.preview && first->x0.defined()) {
        report.preview = to_uint8_images(first->x0);
        report.x0 = first->x0.to(torch::kCPU, at::kFloat);
        report.x_t = first->x_t.to(torch::kCPU, at::kFloat);
      }
      *first = FirstEvaluation{};
      return progress(report);
    };
  }

  const auto float_options = at::TensorOptions().dtype(at::kFloat).device(run.device);
  torch::Tensor x_T = noise.next({batch, 3, size, size}, float_options);
  if (p.temperature != 1.0) x_T = x_T * p.temperature;
  GuidanceNoise step_noise(noise, batch);
  if (p.guided) x_T = doubled(x_T);
  torch::Tensor out;
  try {
    out = sampler->sample(diffusion, denoise, x_T, step_noise, options);
  } catch (const Error& e) {
    if (e.status() != Status::cancelled) throw;
    throw Error(Status::cancelled, fmt::format("stage {}: {}", run.name, e.what()));
  }
  const torch::Tensor images = p.guided ? out.narrow(0, 0, batch) : out;
  require_finite(images, run);
  return images;
}

}  // namespace

torch::Tensor run_stage(const StageRun& run, NoiseSource& noise, const ProgressCallback& progress) {
  const std::string context =
      fmt::format("stage {}, batch {} on {} in {}", run.name, run.prompts.size(), run.device.str(),
                  io::dtype_name(run.stage.model->compute_dtype()));
  return translating_out_of_memory(context, run.device.is_cuda(),
                                   [&] { return run_stage_unguarded(run, noise, progress); });
}

}  // namespace glide::pipeline
