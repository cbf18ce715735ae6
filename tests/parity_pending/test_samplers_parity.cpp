// Sampling trajectories against the reference's goldens with the small random-weight models:
// p_mean_variance, guided DDPM with recorded noise, DDIM with eta 0 and 0.5, the upsampler's DDIM
// on fast27, and guided inpainting. Needs Text2ImUNet and the checkpoint reader; kept out of the
// build (tests/parity_pending/) until they land, then moved to tests/ beside test_samplers.cpp.
#include <c10/core/InferenceMode.h>
#include <torch/types.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "glide/diffusion/gaussian_diffusion.hpp"
#include "glide/guidance/classifier_free.hpp"
#include "glide/guidance/denoised.hpp"
#include "glide/io/checkpoint.hpp"
#include "glide/io/value.hpp"
#include "glide/models/config.hpp"
#include "glide/models/text2im_unet.hpp"
#include "glide/samplers/noise.hpp"
#include "glide/samplers/sampler.hpp"
#include "glide/tokenizer.hpp"
#include "support/goldens.hpp"

namespace {

constexpr double kTolerance = 1e-4;  // goldens/README.md: float32 trajectories

double max_abs_diff(const torch::Tensor& a, const torch::Tensor& b) {
  REQUIRE(a.sizes() == b.sizes());
  return (a.to(torch::kDouble) - b.to(torch::kDouble)).abs().max().item<double>();
}

// A golden model: its ModelConfig from models.json (diffusion and runtime options dropped) and
// its weights.
struct GoldenModel {
  glide::Text2ImUNet model{nullptr};
  glide::ModelConfig config;
  std::string noise_schedule;
};

GoldenModel load_model(const std::string& case_name) {
  const auto models_path = glide::test::golden_path("models.json");
  const auto weights_path = glide::test::golden_path("model_" + case_name + ".pt");
  REQUIRE(models_path);
  REQUIRE(weights_path);
  std::ifstream in(*models_path);
  auto options = nlohmann::json::parse(in).at(case_name).at("options");
  GoldenModel out;
  out.noise_schedule = options.at("noise_schedule").get<std::string>();
  for (const char* key :
       {"diffusion_steps", "noise_schedule", "timestep_respacing", "use_fp16", "cache_text_emb"}) {
    options.erase(key);
  }
  out.config = glide::ModelConfig::from_json(options.dump());
  out.model = glide::Text2ImUNet(out.config);
  glide::load_state_dict(*out.model, glide::io::load_torch_state_dict(*weights_path));
  out.model->eval();
  return out;
}

// Tokens and masks for these prompts, padded to text_ctx, as (B, ctx) int64 and bool.
std::pair<torch::Tensor, torch::Tensor> tokens_for(const std::vector<std::string>& prompts,
                                                   int64_t text_ctx) {
  const auto& tokenizer = glide::Tokenizer::gpt2();
  std::vector<int64_t> ids;
  std::vector<uint8_t> mask;
  for (const auto& prompt : prompts) {
    const auto padded = tokenizer.padded_tokens_and_mask(tokenizer.encode(prompt), text_ctx);
    ids.insert(ids.end(), padded.tokens.begin(), padded.tokens.end());
    mask.insert(mask.end(), padded.mask.begin(), padded.mask.end());
  }
  const int64_t batch = static_cast<int64_t>(prompts.size());
  return {torch::tensor(ids, torch::kLong).view({batch, text_ctx}),
          torch::tensor(std::vector<int64_t>(mask.begin(), mask.end()), torch::kLong)
              .view({batch, text_ctx})
              .to(torch::kBool)};
}

std::vector<std::string> prompts_of(const glide::io::Value& golden) {
  std::vector<std::string> prompts;
  for (const auto& p : golden.at("prompts").as_list()) prompts.push_back(p.as_string());
  return prompts;
}

// [prompts; empty prompts]: GLIDE's classifier-free guidance batch.
std::vector<std::string> with_unconditional(std::vector<std::string> prompts) {
  const size_t n = prompts.size();
  for (size_t i = 0; i < n; ++i) prompts.emplace_back("");
  return prompts;
}

glide::DenoiseFn denoise_fn_for(GoldenModel& golden, const glide::TextEmbedding& text,
                                const glide::Conditioning& conditioning) {
  return [&golden, text, conditioning](const torch::Tensor& x, const torch::Tensor& t) {
    return glide::split_model_output(golden.model->forward(x, t, text, conditioning));
  };
}

// The reference recorded noise for the conditional half only; the unconditional half never
// reaches the kept samples (guidance reads x[:B] only), so it gets zeros.
glide::RecordedNoise padded_noise(const torch::Tensor& draws) {
  std::vector<torch::Tensor> padded;
  for (int64_t i = 0; i < draws.size(0); ++i) {
    padded.push_back(torch::cat({draws[i], torch::zeros_like(draws[i])}));
  }
  return glide::RecordedNoise(std::move(padded));
}

class ZeroNoise : public glide::NoiseSource {
 public:
  torch::Tensor next(at::IntArrayRef shape, const at::TensorOptions& options) override {
    return torch::zeros(shape, options);
  }
};

torch::Tensor doubled(const torch::Tensor& t) {
  return torch::cat({t, t});
}

}  // namespace

TEST_CASE("p_mean_variance with the text2im model matches the reference at index 4",
          "[samplers][parity][slow]") {
  GLIDE_REQUIRE_GOLDEN(path, "sampling_text2im.pt");
  c10::InferenceMode inference;
  const auto golden = glide::io::load_torch_file(path);
  auto model = load_model("text2im");
  const auto diffusion = glide::GaussianDiffusion::from_config(
      {1000, golden.at("noise_schedule").as_string(), golden.at("respacing").as_string()});
  const auto [tokens, mask] =
      tokens_for(with_unconditional(prompts_of(golden)), model.config.text_ctx);
  const auto text = model.model->encode_text(tokens, mask);

  const auto x = golden.at("p_mean_variance_t4.x").as_tensor();
  const auto t = golden.at("p_mean_variance_t4.t").as_tensor();
  const auto out =
      diffusion.p_mean_variance(denoise_fn_for(model, text, {}), x, t, /*clip_denoised=*/true);
  CHECK(max_abs_diff(out.mean, golden.at("p_mean_variance_t4.mean").as_tensor()) < kTolerance);
  CHECK(max_abs_diff(out.variance, golden.at("p_mean_variance_t4.variance").as_tensor()) <
        kTolerance);
  CHECK(max_abs_diff(out.log_variance, golden.at("p_mean_variance_t4.log_variance").as_tensor()) <
        kTolerance);
  CHECK(max_abs_diff(out.pred_xstart, golden.at("p_mean_variance_t4.pred_xstart").as_tensor()) <
        kTolerance);
}

TEST_CASE("guided DDPM and DDIM with the text2im model match the reference at every scale",
          "[samplers][parity][slow]") {
  GLIDE_REQUIRE_GOLDEN(path, "sampling_text2im.pt");
  c10::InferenceMode inference;
  const auto golden = glide::io::load_torch_file(path);
  auto model = load_model("text2im");
  const auto diffusion = glide::GaussianDiffusion::from_config(
      {1000, golden.at("noise_schedule").as_string(), golden.at("respacing").as_string()});
  const auto [tokens, mask] =
      tokens_for(with_unconditional(prompts_of(golden)), model.config.text_ctx);
  const auto text = model.model->encode_text(tokens, mask);
  const auto plain = denoise_fn_for(model, text, {});

  // Keys "cfg<scale>.x_T", one group per guidance scale.
  std::vector<std::string> scales;
  for (const auto& [key, value] : golden.as_dict()) {
    const std::string& name = key.as_string();
    const std::string suffix = ".x_T";
    if (name.rfind("cfg", 0) == 0 && name.size() > suffix.size() &&
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
      scales.push_back(name.substr(3, name.size() - 3 - suffix.size()));
    }
  }
  REQUIRE(scales.size() >= 3);

  for (const auto& scale_text : scales) {
    const std::string prefix = "cfg" + scale_text + ".";
    INFO("guidance scale " << scale_text);
    const auto guided = glide::classifier_free_guidance(plain, std::stod(scale_text));
    const auto x_T = doubled(golden.at(prefix + "x_T").as_tensor());
    const int64_t half = x_T.size(0) / 2;
    {
      auto noise = padded_noise(golden.at(prefix + "ddpm_noise").as_tensor());
      const auto out = glide::make_sampler("ddpm")->sample(diffusion, guided, x_T, noise);
      CHECK(noise.used() == noise.size());
      CHECK(max_abs_diff(out.narrow(0, 0, half), golden.at(prefix + "ddpm").as_tensor()) <
            kTolerance);
    }
    {
      ZeroNoise noise;
      const auto out = glide::make_sampler("ddim")->sample(diffusion, guided, x_T, noise);
      CHECK(max_abs_diff(out.narrow(0, 0, half), golden.at(prefix + "ddim_eta0").as_tensor()) <
            kTolerance);
    }
    {
      auto noise = padded_noise(golden.at(prefix + "ddim_eta05_noise").as_tensor());
      const auto out = glide::make_sampler("ddim", {0.5})->sample(diffusion, guided, x_T, noise);
      CHECK(max_abs_diff(out.narrow(0, 0, half), golden.at(prefix + "ddim_eta05").as_tensor()) <
            kTolerance);
    }
  }
}

TEST_CASE("the upsampler's DDIM on fast27 matches the reference", "[samplers][parity][slow]") {
  GLIDE_REQUIRE_GOLDEN(path, "sampling_superres.pt");
  GLIDE_REQUIRE_GOLDEN(text2im_path, "sampling_text2im.pt");
  c10::InferenceMode inference;
  const auto golden = glide::io::load_torch_file(path);
  auto model = load_model("superres");
  const auto diffusion = glide::GaussianDiffusion::from_config(
      {1000, model.noise_schedule, golden.at("respacing").as_string()});
  // ASSUMPTION: sampling_superres.pt records no prompts; the text2im goldens' prompts are used,
  // as the notebook upsamples with the base stage's prompt.
  const auto [tokens, mask] =
      tokens_for(prompts_of(glide::io::load_torch_file(text2im_path)), model.config.text_ctx);
  const auto text = model.model->encode_text(tokens, mask);
  glide::Conditioning conditioning;
  conditioning.low_res = golden.at("low_res").as_tensor();
  ZeroNoise noise;
  const auto out = glide::make_sampler("ddim")->sample(
      diffusion, denoise_fn_for(model, text, conditioning), golden.at("noise").as_tensor(), noise);
  CHECK(max_abs_diff(out, golden.at("out").as_tensor()) < kTolerance);
}

TEST_CASE("guided inpainting DDPM matches the reference", "[samplers][parity][slow]") {
  GLIDE_REQUIRE_GOLDEN(path, "sampling_inpaint.pt");
  c10::InferenceMode inference;
  const auto golden = glide::io::load_torch_file(path);
  auto model = load_model("inpaint");
  const auto diffusion = glide::GaussianDiffusion::from_config(
      {1000, golden.at("noise_schedule").as_string(), golden.at("respacing").as_string()});
  const auto [tokens, mask] =
      tokens_for(with_unconditional(prompts_of(golden)), model.config.text_ctx);
  const auto text = model.model->encode_text(tokens, mask);

  const auto image = doubled(golden.at("inpaint_image").as_tensor());
  const auto image_mask = doubled(golden.at("inpaint_mask").as_tensor());
  glide::Conditioning conditioning;
  conditioning.inpaint_image = image * image_mask;
  conditioning.inpaint_mask = image_mask;
  const auto guided = glide::classifier_free_guidance(denoise_fn_for(model, text, conditioning),
                                                      golden.at("guidance_scale").as_float());
  glide::SampleOptions options;
  options.denoised_fn = glide::keep_known_region(image, image_mask);
  const auto x_T = doubled(golden.at("x_T").as_tensor());
  auto noise = padded_noise(golden.at("ddpm_noise").as_tensor());
  const auto out = glide::make_sampler("ddpm")->sample(diffusion, guided, x_T, noise, options);
  CHECK(max_abs_diff(out.narrow(0, 0, x_T.size(0) / 2), golden.at("ddpm").as_tensor()) <
        kTolerance);
}
