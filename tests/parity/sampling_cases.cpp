// Sampling trajectories against the reference's goldens on the small random-weight models:
// p_mean_variance, guided DDPM with recorded noise, DDIM with eta 0 and 0.5, the upsampler's DDIM
// on fast27, and guided inpainting.
#include <ATen/ATen.h>
#include <fmt/format.h>
#include <torch/nn/module.h>

#include <filesystem>
#include <functional>

#include "glide/diffusion/gaussian_diffusion.hpp"
#include "glide/guidance/classifier_free.hpp"
#include "glide/guidance/denoised.hpp"
#include "glide/io/checkpoint.hpp"
#include "glide/samplers/noise.hpp"
#include "glide/samplers/sampler.hpp"
#include "glide/tokenizer.hpp"
#include "parity/parity.hpp"

namespace glide::parity {
namespace {

std::vector<std::string> prompts_of(const io::Value& golden) {
  std::vector<std::string> prompts;
  for (const auto& p : golden.at("prompts").as_list()) prompts.push_back(p.as_string());
  return prompts;
}

// [prompts; empty prompts]: GLIDE's classifier-free guidance batch.
std::vector<std::string> with_unconditional(std::vector<std::string> prompts) {
  prompts.resize(prompts.size() * 2);
  return prompts;
}

TextEmbedding encode(Text2ImUNet& model, const std::vector<std::string>& prompts) {
  const auto& tokenizer = Tokenizer::gpt2();
  const int64_t ctx = model->config().text_ctx;
  std::vector<int64_t> ids;
  std::vector<int64_t> mask;
  for (const auto& prompt : prompts) {
    const auto padded = tokenizer.padded_tokens_and_mask(tokenizer.encode(prompt), ctx);
    ids.insert(ids.end(), padded.tokens.begin(), padded.tokens.end());
    mask.insert(mask.end(), padded.mask.begin(), padded.mask.end());
  }
  const int64_t batch = static_cast<int64_t>(prompts.size());
  return model->encode_text(torch::tensor(ids).view({batch, ctx}),
                            torch::tensor(mask).view({batch, ctx}).to(torch::kBool));
}

DenoiseFn denoise_fn_for(Text2ImUNet model, TextEmbedding text, Conditioning cond = {}) {
  return [model, text, cond](const torch::Tensor& x, const torch::Tensor& t) mutable {
    return split_model_output(model->forward(x, t, text, cond));
  };
}

// The reference recorded noise for the conditional half only; the unconditional half never
// reaches the kept samples (guidance reads x[:B] only), so it gets zeros.
RecordedNoise padded_noise(const torch::Tensor& draws) {
  std::vector<torch::Tensor> padded;
  for (int64_t i = 0; i < draws.size(0); ++i) {
    padded.push_back(at::cat({draws[i], at::zeros_like(draws[i])}));
  }
  return RecordedNoise(std::move(padded));
}

class ZeroNoise : public NoiseSource {
 public:
  torch::Tensor next(at::IntArrayRef shape, const at::TensorOptions& options) override {
    return at::zeros(shape, options);
  }
};

torch::Tensor doubled(const torch::Tensor& t) {
  return at::cat({t, t});
}
torch::Tensor first_half(const torch::Tensor& t) {
  return t.narrow(0, 0, t.size(0) / 2);
}

CaseResult compare(std::string name, const torch::Tensor& actual, const torch::Tensor& expected) {
  CaseResult r{std::move(name), max_abs_error(actual, expected)};
  r.passed = r.max_error <= kTolerance;
  r.detail = fmt::format("shape {}", c10::str(expected.sizes()));
  return r;
}

// Runs `body` for one golden file, turning an exception into a failed case.
void run_file(const std::string& dir, const std::string& file, std::vector<CaseResult>& results,
              const std::function<void(const io::Value&)>& body) {
  const auto path = std::filesystem::path(dir) / (file + ".pt");
  if (!std::filesystem::exists(path)) return;
  try {
    torch::InferenceMode inference;
    body(io::load_torch_file(path.string()));
  } catch (const std::exception& e) {
    results.push_back({file, std::numeric_limits<double>::infinity(), false, e.what()});
  }
}

GaussianDiffusion diffusion_of(const io::Value& golden, const std::string& schedule) {
  return GaussianDiffusion::from_config({1000, schedule, golden.at("respacing").as_string()});
}

void text2im_cases(const std::string& dir, const io::Value& golden,
                   std::vector<CaseResult>& results) {
  auto model = load_golden_model(dir, "text2im").model;
  const auto diffusion = diffusion_of(golden, golden.at("noise_schedule").as_string());
  const auto plain = denoise_fn_for(model, encode(model, with_unconditional(prompts_of(golden))));

  const std::string pmv = "p_mean_variance_t4.";
  const auto out = diffusion.p_mean_variance(plain, golden.at(pmv + "x").as_tensor(),
                                             golden.at(pmv + "t").as_tensor(), true);
  const std::pair<const char*, const torch::Tensor*> fields[] = {
      {"mean", &out.mean},
      {"variance", &out.variance},
      {"log_variance", &out.log_variance},
      {"pred_xstart", &out.pred_xstart}};
  for (const auto& [field, value] : fields) {
    results.push_back(
        compare("sampling_text2im." + pmv + field, *value, golden.at(pmv + field).as_tensor()));
  }

  // One group of keys "cfg<scale>.*" per guidance scale.
  for (const auto& [key, value] : golden.as_dict()) {
    const std::string& name = key.as_string();
    const std::string suffix = ".x_T";
    if (name.rfind("cfg", 0) != 0 || name.size() <= suffix.size() ||
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0) {
      continue;
    }
    const std::string scale = name.substr(3, name.size() - 3 - suffix.size());
    const std::string prefix = "cfg" + scale + ".";
    const auto guided = classifier_free_guidance(plain, std::stod(scale));
    const auto x_T = doubled(value.as_tensor());
    const std::string case_prefix = "sampling_text2im." + prefix;

    auto ddpm_noise = padded_noise(golden.at(prefix + "ddpm_noise").as_tensor());
    const auto ddpm = make_sampler("ddpm")->sample(diffusion, guided, x_T, ddpm_noise);
    results.push_back(
        compare(case_prefix + "ddpm", first_half(ddpm), golden.at(prefix + "ddpm").as_tensor()));

    ZeroNoise no_noise;
    const auto ddim = make_sampler("ddim")->sample(diffusion, guided, x_T, no_noise);
    results.push_back(compare(case_prefix + "ddim_eta0", first_half(ddim),
                              golden.at(prefix + "ddim_eta0").as_tensor()));

    auto eta_noise = padded_noise(golden.at(prefix + "ddim_eta05_noise").as_tensor());
    const auto ddim05 = make_sampler("ddim", {0.5})->sample(diffusion, guided, x_T, eta_noise);
    results.push_back(compare(case_prefix + "ddim_eta05", first_half(ddim05),
                              golden.at(prefix + "ddim_eta05").as_tensor()));
  }
}

// sampling_superres.pt records no prompts; the text2im goldens' prompts are the ones its
// reference run used (the upsampler is given the base stage's prompts, as in GLIDE's notebook).
void superres_case(const std::string& dir, const io::Value& golden,
                   std::vector<CaseResult>& results) {
  auto [model, schedule] = load_golden_model(dir, "superres");
  const auto text2im =
      io::load_torch_file((std::filesystem::path(dir) / "sampling_text2im.pt").string());
  Conditioning cond;
  cond.low_res = golden.at("low_res").as_tensor();
  ZeroNoise no_noise;
  const auto out =
      make_sampler("ddim")->sample(diffusion_of(golden, schedule),
                                   denoise_fn_for(model, encode(model, prompts_of(text2im)), cond),
                                   golden.at("noise").as_tensor(), no_noise);
  results.push_back(compare("sampling_superres.ddim_" + golden.at("respacing").as_string(), out,
                            golden.at("out").as_tensor()));
}

void inpaint_case(const std::string& dir, const io::Value& golden,
                  std::vector<CaseResult>& results) {
  auto model = load_golden_model(dir, "inpaint").model;
  const auto image = doubled(golden.at("inpaint_image").as_tensor());
  const auto mask = doubled(golden.at("inpaint_mask").as_tensor());
  const Conditioning cond{torch::Tensor(), image * mask, mask};
  const auto guided = classifier_free_guidance(
      denoise_fn_for(model, encode(model, with_unconditional(prompts_of(golden))), cond),
      golden.at("guidance_scale").as_float());
  SampleOptions options;
  options.denoised_fn = keep_known_region(image, mask);
  auto noise = padded_noise(golden.at("ddpm_noise").as_tensor());
  const auto out =
      make_sampler("ddpm")->sample(diffusion_of(golden, golden.at("noise_schedule").as_string()),
                                   guided, doubled(golden.at("x_T").as_tensor()), noise, options);
  results.push_back(
      compare("sampling_inpaint.ddpm", first_half(out), golden.at("ddpm").as_tensor()));
}

}  // namespace

DenoiseFn golden_text2im_denoise_fn(const std::string& dir,
                                    const std::vector<std::string>& prompts) {
  auto model = load_golden_model(dir, "text2im").model;
  return denoise_fn_for(model, encode(model, with_unconditional(prompts)));
}

std::vector<CaseResult> run_sampling_cases(const std::string& dir) {
  std::vector<CaseResult> results;
  run_file(dir, "sampling_text2im", results,
           [&](const io::Value& golden) { text2im_cases(dir, golden, results); });
  run_file(dir, "sampling_superres", results,
           [&](const io::Value& golden) { superres_case(dir, golden, results); });
  run_file(dir, "sampling_inpaint", results,
           [&](const io::Value& golden) { inpaint_case(dir, golden, results); });
  return results;
}

}  // namespace glide::parity
