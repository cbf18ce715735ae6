// GuidedSampler end to end on the small golden models: shapes, the golden base trajectory,
// seeding, cancellation, inpainting, negative prompts; and a full-size smoke test.
#include <ATen/ATen.h>
#include <fmt/format.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "glide/error.hpp"
#include "glide/guidance/classifier_free.hpp"
#include "glide/io/checkpoint.hpp"
#include "glide/pipeline/guided_sampler.hpp"
#include "glide/pipeline/non_finite_images.hpp"
#include "parity/parity.hpp"
#include "support/catch_torch.hpp"
#include "support/goldens.hpp"

namespace {

using namespace glide;

StageModel golden_stage(const std::string& name) {
  auto golden = parity::load_golden_model(*test::goldens_dir(), name);
  DiffusionConfig diffusion;
  diffusion.noise_schedule = golden.noise_schedule;
  return {golden.model, diffusion};
}

GuidedSampler text2im_sampler() {
  return GuidedSampler(golden_stage("text2im"), golden_stage("superres"));
}

// Few steps keep the tests fast; the samplers' own tests cover long runs.
GenerationParams quick_params() {
  GenerationParams p;
  p.prompts = {"a red cube on a table"};
  p.base.respacing = "6";
  p.upsampler.respacing = "4";
  return p;
}

int64_t max_level_difference(const torch::Tensor& a, const torch::Tensor& b) {
  return (a.to(at::kInt) - b.to(at::kInt)).abs().max().item<int64_t>();
}

}  // namespace

TEST_CASE("generate: prompts to 16x16 and 32x32 uint8 images", "[pipeline]") {
  GLIDE_REQUIRE_GOLDEN(models, "models.json");
  auto sampler = text2im_sampler();
  GenerationParams p = quick_params();
  p.batch_size = 2;
  p.prompts = {"a red cube", "a blue sphere"};
  const auto result = sampler.generate(p);
  CHECK(result.base.sizes() == at::IntArrayRef({2, 16, 16, 3}));
  CHECK(result.base.scalar_type() == at::kByte);
  CHECK(result.base.device().is_cpu());
  CHECK(result.upsampled.sizes() == at::IntArrayRef({2, 32, 32, 3}));
  CHECK(result.upsampled.scalar_type() == at::kByte);

  p.upsample = false;
  const auto base_only = sampler.generate(p);
  CHECK_FALSE(base_only.upsampled.defined());
  CHECK(base_only.base.equal(result.base));  // the base stage does not depend on the upsampler
}

TEST_CASE("generate's base stage replays the golden guided DDPM trajectory", "[pipeline]") {
  GLIDE_REQUIRE_GOLDEN(path, "sampling_text2im.pt");
  const io::Value golden = io::load_torch_file(path);
  GuidedSampler sampler(golden_stage("text2im"), StageModel{});

  GenerationParams p;
  for (const auto& prompt : golden.at("prompts").as_list()) p.prompts.push_back(prompt.as_string());
  p.batch_size = static_cast<int64_t>(p.prompts.size());
  p.base.sampler = "ddpm";
  p.base.respacing = golden.at("respacing").as_string();
  p.upsample = false;
  int scales = 0;
  for (const auto& [key, value] : golden.as_dict()) {
    const std::string name = key.as_string();
    const std::string suffix = ".x_T";  // keys "cfg<scale>.x_T", the scale itself may hold a dot
    if (name.rfind("cfg", 0) != 0 || name.size() <= suffix.size() ||
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0) {
      continue;
    }
    const std::string prefix = name.substr(0, name.size() - suffix.size() + 1);
    p.base.guidance_scale = std::stod(prefix.substr(3));
    INFO("guidance scale " << p.base.guidance_scale);
    const torch::Tensor x_T = value.as_tensor();
    sampler.set_noise_factory([&, prefix, x_T](const std::string& stage, int64_t batch) {
      CHECK(stage == "base");
      CHECK(batch == p.batch_size);
      // x_T first, then each step's noise for the conditional half.
      std::vector<torch::Tensor> draws{x_T};
      const torch::Tensor steps = golden.at(prefix + "ddpm_noise").as_tensor();
      for (int64_t i = 0; i < steps.size(0); ++i) draws.push_back(steps[i]);
      return std::make_unique<RecordedNoise>(std::move(draws));
    });
    const torch::Tensor expected = golden.at(prefix + "ddpm").as_tensor();
    const torch::Tensor images = sampler.generate(p).base;
    // The output is 8-bit: equal to the golden's rounding wherever the golden value is clearly
    // away from a rounding boundary (float32 parity is 1e-4), within one level elsewhere.
    const torch::Tensor levels = (expected + 1) * 127.5;
    const torch::Tensor clear =
        ((levels - levels.floor() - 0.5).abs() > 0.05).permute({0, 2, 3, 1});
    const torch::Tensor reference = to_uint8_images(expected);
    CHECK(max_level_difference(images, reference) <= 1);
    CHECK(images.masked_select(clear).equal(reference.masked_select(clear)));
    ++scales;
  }
  CHECK(scales >= 1);
}

// The golden p_mean_variance at respaced index 4 of "10" (original timestep 444): a respacing
// that keeps only that timestep makes it the first step from x_T = the golden x, so the step's
// preview must show the golden x and its predicted x_0, whichever sampler takes the step.
TEST_CASE("previews show the reference's x_t and predicted x_0 at a step", "[pipeline]") {
  GLIDE_REQUIRE_GOLDEN(path, "sampling_text2im.pt");
  const io::Value golden = io::load_torch_file(path);
  const std::string pmv = "p_mean_variance_t4.";
  const torch::Tensor x = golden.at(pmv + "x").as_tensor();
  const torch::Tensor pred_xstart = golden.at(pmv + "pred_xstart").as_tensor();
  const int64_t timestep = GaussianDiffusion::from_config(
                               {1000, "squaredcos_cap_v2", golden.at("respacing").as_string()})
                               .timestep_map()[4];
  REQUIRE(timestep == 444);
  // 1000 steps in 84 sections: the first 76 have 12 steps, so section 37 starts at 37 * 12 = 444;
  // keeping one step of it and none of the others keeps timestep 444 alone.
  std::vector<std::string> counts(84, "0");
  counts[37] = "1";

  GuidedSampler sampler(golden_stage("text2im"), StageModel{});
  GenerationParams p;
  // The golden ran the plain model on the prompts, then on as many empty prompts.
  for (const auto& prompt : golden.at("prompts").as_list()) p.prompts.push_back(prompt.as_string());
  p.prompts.resize(p.prompts.size() * 2);
  REQUIRE(x.size(0) == static_cast<int64_t>(p.prompts.size()));
  p.batch_size = x.size(0);
  p.base.guided = false;
  p.base.temperature = 1.0;
  p.base.respacing = fmt::format("{}", fmt::join(counts, ","));
  p.upsample = false;
  p.preview = true;
  sampler.set_noise_factory([&](const std::string&, int64_t) {
    return std::make_unique<RecordedNoise>(std::vector<torch::Tensor>{x, torch::zeros_like(x)});
  });
  for (const std::string name : {"ddpm", "ddim", "heun", "dpm++2m"}) {
    INFO("sampler " << name);
    p.base.sampler = name;
    int reports = 0;
    sampler.generate(p, [&](const Progress& progress) {
      ++reports;
      CHECK(progress.timestep == 444);
      CHECK(progress.x_t.equal(x));
      CHECK((progress.x0 - pred_xstart).abs().max().item<double>() < 1e-4);
      CHECK(max_level_difference(progress.preview, to_uint8_images(pred_xstart)) <= 1);
      return true;
    });
    CHECK(reports == 1);
  }
}

// Over several guided steps, each preview's x_0 is what the reference's p_mean_variance
// predicts from the preview's own x_t and timestep, computed here with the golden model outside
// the pipeline. Heun evaluates twice in its middle steps: the preview must show the first.
TEST_CASE("each step's preview is the network's prediction at its x_t", "[pipeline]") {
  GLIDE_REQUIRE_GOLDEN(models, "models.json");
  const std::string dir = *test::goldens_dir();
  const std::vector<std::string> prompts = {"a red cube", "a blue sphere"};
  const double scale = 3.0;
  const DenoiseFn guided =
      classifier_free_guidance(parity::golden_text2im_denoise_fn(dir, prompts), scale);
  auto sampler = text2im_sampler();
  GenerationParams p = quick_params();
  p.prompts = prompts;
  p.batch_size = 2;
  p.base.guidance_scale = scale;
  p.base.respacing = "5";
  p.upsample = false;
  p.preview = true;
  const auto diffusion = GaussianDiffusion::from_config(
      {1000, parity::load_golden_model(dir, "text2im").noise_schedule, p.base.respacing});
  for (const std::string name : {"heun", "ddim"}) {
    INFO("sampler " << name);
    p.base.sampler = name;
    int checked = 0;
    sampler.generate(p, [&](const Progress& progress) {
      INFO("step " << progress.step);
      const int64_t index = progress.total - progress.step;
      CHECK(progress.timestep == diffusion.timestep_map()[static_cast<size_t>(index)]);
      const torch::Tensor x = torch::cat({progress.x_t, progress.x_t});
      const torch::Tensor t = torch::full({x.size(0)}, index, torch::kLong);
      const torch::Tensor expected = diffusion.p_mean_variance(guided, x, t, /*clip_denoised=*/true)
                                         .pred_xstart.narrow(0, 0, 2);
      CHECK((progress.x0 - expected).abs().max().item<double>() < 1e-4);
      ++checked;
      return true;
    });
    CHECK(checked == 5);
  }
}

TEST_CASE("the same seed gives bit-identical images; another seed does not", "[pipeline]") {
  GLIDE_REQUIRE_GOLDEN(models, "models.json");
  auto sampler = text2im_sampler();
  GenerationParams p = quick_params();
  p.batch_size = 2;
  p.seed = 1234;
  const auto first = sampler.generate(p);
  const auto second = sampler.generate(p);
  CHECK(first.base.equal(second.base));
  CHECK(first.upsampled.equal(second.upsampled));
  p.seed = 1235;
  CHECK_FALSE(sampler.generate(p).base.equal(first.base));
}

TEST_CASE("calls on one sampler give what a fresh sampler gives for each call", "[pipeline]") {
  // The sampler keeps each stage's network bound between calls and copies each call's prompts
  // and conditioning into it: no call may see an earlier call's inputs.
  GLIDE_REQUIRE_GOLDEN(models, "models.json");
  auto sampler = text2im_sampler();
  GenerationParams first = quick_params();
  first.prompts = {"a red cube"};
  first.negative_prompt = "blurry";
  sampler.generate(first);
  GenerationParams second = first;
  second.prompts = {"a blue sphere"};
  second.negative_prompt = "";
  second.seed = first.seed + 1;
  const auto reused = sampler.generate(second);
  const auto fresh = text2im_sampler().generate(second);
  CHECK(reused.base.equal(fresh.base));
  CHECK(reused.upsampled.equal(fresh.upsampled));

  // upsample() binds the same upsampler network to other low-resolution images.
  const torch::Tensor images = at::randint(0, 256, {1, 16, 16, 3}, at::kByte);
  CHECK(sampler.upsample(images, second).equal(text2im_sampler().upsample(images, second)));
  sampler.release_cached_networks();
  CHECK(sampler.generate(second).base.equal(fresh.base));
}

TEST_CASE("image k of a batch matches a single generation with seed + k", "[pipeline]") {
  GLIDE_REQUIRE_GOLDEN(models, "models.json");
  auto sampler = text2im_sampler();
  GenerationParams batch = quick_params();
  batch.batch_size = 3;
  batch.prompts = {"a red cube", "a green hill", "a yellow car"};
  batch.seed = 77;
  const auto together = sampler.generate(batch);
  for (int64_t k = 0; k < batch.batch_size; ++k) {
    GenerationParams single = batch;
    single.batch_size = 1;
    single.prompts = {batch.prompts[static_cast<size_t>(k)]};
    single.seed = batch.seed + static_cast<uint64_t>(k);
    const auto alone = sampler.generate(single);
    INFO("image " << k);
    // Same noise; batched kernels may sum in another order, so allow one 8-bit level.
    CHECK(max_level_difference(together.base[k], alone.base[0]) <= 1);
    CHECK(max_level_difference(together.upsampled[k], alone.upsampled[0]) <= 1);
  }
}

TEST_CASE("progress reports every step and previews; returning false cancels", "[pipeline]") {
  GLIDE_REQUIRE_GOLDEN(models, "models.json");
  auto sampler = text2im_sampler();
  GenerationParams p = quick_params();
  p.preview = true;
  std::vector<std::string> stages;
  std::vector<int64_t> steps, timesteps;
  sampler.generate(p, [&](const Progress& progress) {
    stages.push_back(progress.stage);
    steps.push_back(progress.step);
    CHECK(progress.preview.defined());
    CHECK(progress.preview.scalar_type() == at::kByte);
    CHECK(progress.preview.size(1) == (progress.stage == "base" ? 16 : 32));
    const int64_t size = progress.stage == "base" ? 16 : 32;
    CHECK(progress.x_t.sizes() == at::IntArrayRef({1, 3, size, size}));
    CHECK(progress.x0.sizes() == at::IntArrayRef({1, 3, size, size}));
    CHECK(progress.x0.scalar_type() == at::kFloat);
    CHECK(progress.x0.abs().max().item<float>() <= 1.0f);  // thresholding "clip"
    CHECK(progress.total == (progress.stage == "base" ? 6 : 4));
    timesteps.push_back(progress.timestep);
    return true;
  });
  CHECK(stages == std::vector<std::string>{"base", "base", "base", "base", "base", "base",
                                           "upsampler", "upsampler", "upsampler", "upsampler"});
  CHECK(steps == std::vector<int64_t>{1, 2, 3, 4, 5, 6, 1, 2, 3, 4});
  // The reference's spacing of 1000 steps: "6" keeps round(k * 999 / 5), "4" round(k * 333).
  CHECK(timesteps == std::vector<int64_t>{999, 799, 599, 400, 200, 0, 999, 666, 333, 0});

  int calls = 0;
  try {
    sampler.generate(p, [&](const Progress& progress) {
      ++calls;
      return !(progress.stage == "upsampler" && progress.step == 2);
    });
    FAIL("generation was not cancelled");
  } catch (const Error& e) {
    CHECK(e.status() == Status::cancelled);
    CHECK_THAT(e.what(), Catch::Contains("upsampler"));
  }
  CHECK(calls == 8);
}

TEST_CASE("a call from inside a progress callback is refused; the running call goes on",
          "[pipeline]") {
  GLIDE_REQUIRE_GOLDEN(models, "models.json");
  auto sampler = text2im_sampler();
  GenerationParams p = quick_params();
  p.upsample = false;
  const auto alone = sampler.generate(p).base;
  std::vector<std::string> refusals;
  const auto refused = [&](const std::function<void()>& call) {
    try {
      call();
    } catch (const Error& e) {
      CHECK(e.status() == Status::unsupported);
      refusals.push_back(e.what());
    }
  };
  const auto with_nested_calls = sampler.generate(p, [&](const Progress& progress) {
    if (progress.step == 2) {
      refused([&] { sampler.generate(p); });
      refused([&] { sampler.upsample(alone, p); });
      refused([&] { sampler.release_cached_networks(); });
    }
    return true;
  });
  REQUIRE(refusals.size() == 3);
  CHECK_THAT(refusals[0], Catch::Contains("generate: the pipeline is already running") &&
                              Catch::Contains("one call at a time"));
  CHECK_THAT(refusals[2], Catch::Contains("release_cached_networks"));
  // Nothing of the running call was touched, and the sampler is free again afterwards.
  CHECK(at::equal(with_nested_calls.base, alone));
  CHECK(at::equal(sampler.generate(p).base, alone));
  // A copy of the sampler is another sampler: it may run from the callback.
  GuidedSampler copy = sampler;
  bool copy_ran = false;
  sampler.generate(p, [&](const Progress& progress) {
    if (progress.step == 1) copy_ran = at::equal(copy.generate(p).base, alone);
    return true;
  });
  CHECK(copy_ran);
}

TEST_CASE("a stage whose result is not finite fails instead of writing black images",
          "[pipeline]") {
  GLIDE_REQUIRE_GOLDEN(models, "models.json");
  auto sampler = text2im_sampler();
  GenerationParams p = quick_params();
  p.upsample = false;
  p.base.temperature = 1e30;  // x_T overflows float32 arithmetic in the first step
  try {
    sampler.generate(p);
    FAIL("a NaN result was returned as images");
  } catch (const NonFiniteImages& e) {  // its own type, which glide sweep records and goes on
    CHECK(e.status() == Status::invalid_argument);
    CHECK_THAT(e.what(), Catch::Contains("stage base: image 0") &&
                             Catch::Contains("NaN or infinity") && Catch::Contains("temperature"));
    // Clipping is what it uses already: no advice to switch to it.
    CHECK(p.base.thresholding == "clip");
    CHECK_THAT(e.what(), !Catch::Contains("threshold with") &&
                             Catch::Contains("lower the temperature or guidance scale"));
  }
  // Each piece of advice where it applies: clipping when it is off, the guidance scale only for
  // a guided stage.
  p.base.thresholding = "none";
  p.base.guided = false;
  try {
    sampler.generate(p);
    FAIL("a NaN result was returned as images");
  } catch (const NonFiniteImages& e) {
    CHECK_THAT(e.what(), Catch::Contains("lower the temperature, threshold with \"clip\"") &&
                             !Catch::Contains("guidance scale"));
  }
  p.base.thresholding = "clip";
  p.base.guided = true;
  p.base.temperature = 1.0;
  CHECK(sampler.generate(p).base.size(0) == 1);  // finite results pass
}

TEST_CASE("a negative prompt changes the output", "[pipeline]") {
  GLIDE_REQUIRE_GOLDEN(models, "models.json");
  auto sampler = text2im_sampler();
  GenerationParams p = quick_params();
  p.upsample = false;
  p.base.guidance_scale = 5;
  const auto plain = sampler.generate(p).base;
  p.negative_prompt = "a blurry grey photo";
  const auto negative = sampler.generate(p).base;
  CHECK(max_level_difference(plain, negative) > 0);
}

TEST_CASE("other samplers, thresholding and bfloat16 run through the pipeline", "[pipeline]") {
  GLIDE_REQUIRE_GOLDEN(models, "models.json");
  auto sampler = text2im_sampler();
  GenerationParams p = quick_params();
  p.base.sampler = "dpm++2m";
  p.base.thresholding = "dynamic";
  p.upsampler.sampler = "ddim";
  p.upsampler.eta = 0.5;
  p.upsampler.thresholding = "none";
  const auto fp32 = sampler.generate(p);
  CHECK(fp32.upsampled.sizes() == at::IntArrayRef({1, 32, 32, 3}));
  p.dtype = torch::kBFloat16;
  const auto bf16 = sampler.generate(p);
  CHECK(sampler.base().model->compute_dtype() == torch::kBFloat16);
  CHECK(bf16.base.sizes() == fp32.base.sizes());
  // Lower precision, same noise: close on average, not equal.
  const double mean_diff =
      (bf16.base.to(at::kFloat) - fp32.base.to(at::kFloat)).abs().mean().item<double>();
  CHECK(mean_diff < 20.0);
  // The bfloat16 call kept the float32 weights: float32 again is float32 as before.
  p.dtype = torch::kFloat32;
  const auto again = sampler.generate(p);
  CHECK(again.base.equal(fp32.base));
  CHECK(again.upsampled.equal(fp32.upsampled));

  // Weights rounded without keeping float32 ones cannot compute float32 results: refused.
  StageModel rounded = golden_stage("text2im");
  rounded.model->set_compute_dtype(torch::kBFloat16);
  GuidedSampler from_bf16(rounded, StageModel{});
  p.upsample = false;
  CHECK_THROWS_WITH(from_bf16.generate(p), Catch::Contains("rounded to bfloat16"));
  p.dtype = torch::kBFloat16;
  CHECK(from_bf16.generate(p).base.sizes() == fp32.base.sizes());
}

TEST_CASE("ddim at eta 1 on two steps gives an image, not NaN", "[pipeline]") {
  // Its first step leaves t = 999, where 1 - ᾱ_prev - σ² rounds to zero or below in float32.
  GLIDE_REQUIRE_GOLDEN(models, "models.json");
  GuidedSampler sampler(golden_stage("text2im"), StageModel{});
  GenerationParams p = quick_params();
  p.upsample = false;
  p.base.sampler = "ddim";
  p.base.eta = 1.0;
  for (const char* respacing : {"2", "3"}) {
    p.base.respacing = respacing;
    CHECK_NOTHROW(sampler.generate(p));
  }
}

TEST_CASE("upsample() enlarges given images", "[pipeline]") {
  GLIDE_REQUIRE_GOLDEN(models, "models.json");
  auto sampler = text2im_sampler();
  GenerationParams p = quick_params();
  p.prompts = {"a", "b"};  // batch_size follows the images
  const torch::Tensor images = at::randint(0, 256, {2, 16, 16, 3}, at::kByte);
  const auto out = sampler.upsample(images, p);
  CHECK(out.sizes() == at::IntArrayRef({2, 32, 32, 3}));
  CHECK(out.equal(sampler.upsample(images, p)));
  CHECK_THROWS_AS(sampler.upsample(images.to(at::kFloat), p), Error);
  // A huge input would be float before the model shrinks it (a 16384^2 one took 10 GB).
  const torch::Tensor tall =
      at::zeros({2, GuidedSampler::kMaxUpsampleInputSide + 1, 1, 3}, at::kByte);
  CHECK_THROWS_WITH(sampler.upsample(tall, p),
                    Catch::Contains("are 4097x1 (H x W)") && Catch::Contains("resize them first"));
}

TEST_CASE("inpainting keeps the known pixels in both stages", "[pipeline]") {
  GLIDE_REQUIRE_GOLDEN(models, "models.json");
  GuidedSampler sampler(golden_stage("inpaint"), golden_stage("superres_inpaint"));
  GenerationParams p = quick_params();
  p.batch_size = 2;
  p.upsampler = StageParams::upsampler_inpaint_defaults();
  p.upsampler.respacing = "4";
  at::manual_seed(5);
  // At the upsampler's size, so that its known region is the image itself; the base stage gets it
  // resized to 16x16.
  const torch::Tensor image = at::randint(0, 256, {32, 32, 3}, at::kByte);
  torch::Tensor mask = at::zeros({16, 16}, at::kBool);
  mask.narrow(0, 0, 10).fill_(true);  // keep the top 10 rows, fill in the rest
  const auto result = sampler.inpaint(image, mask, p);
  REQUIRE(result.base.sizes() == at::IntArrayRef({2, 16, 16, 3}));
  REQUIRE(result.upsampled.sizes() == at::IntArrayRef({2, 32, 32, 3}));
  // Upsampler: the mask scaled by nearest neighbours keeps rows 0..19 of the 32x32 image.
  for (int64_t k = 0; k < 2; ++k) {
    CHECK(max_level_difference(result.upsampled[k].narrow(0, 0, 20), image.narrow(0, 0, 20)) <= 1);
    CHECK(max_level_difference(result.upsampled[k].narrow(0, 20, 12), image.narrow(0, 20, 12)) > 8);
  }

  // Base alone, with the image at its own size: the known rows come back unchanged.
  p.upsample = false;
  const torch::Tensor small = at::randint(0, 256, {2, 16, 16, 3}, at::kByte);
  const auto base = sampler.inpaint(small, mask, p).base;
  CHECK(max_level_difference(base.narrow(1, 0, 10), small.narrow(1, 0, 10)) <= 1);
  CHECK(max_level_difference(base.narrow(1, 10, 6), small.narrow(1, 10, 6)) > 8);
  // A mask of another shape than the image's would be stretched over a different region.
  CHECK_THROWS_WITH(sampler.inpaint(small, at::ones({16, 12}, at::kBool), p),
                    Catch::Contains("mask is 16x12 (H x W) but image is 16x16"));
}

TEST_CASE("models that do not fit the call are refused before any work", "[pipeline]") {
  GLIDE_REQUIRE_GOLDEN(models, "models.json");
  GenerationParams p = quick_params();
  GuidedSampler inpainting(golden_stage("inpaint"), golden_stage("superres_inpaint"));
  CHECK_THROWS_WITH(inpainting.generate(p), Catch::Contains("inpaint"));
  auto text2im = text2im_sampler();
  const torch::Tensor image = at::zeros({16, 16, 3}, at::kByte);
  CHECK_THROWS_WITH(text2im.inpaint(image, at::ones({16, 16}), p), Catch::Contains("base model"));
  GuidedSampler no_upsampler(golden_stage("text2im"), StageModel{});
  CHECK_THROWS_WITH(no_upsampler.generate(p), Catch::Contains("upsampler"));
  p.upsample = false;
  CHECK_NOTHROW(no_upsampler.generate(p));
  p.base.guidance_scale = -2;
  CHECK_THROWS_WITH(no_upsampler.generate(p), Catch::Contains("base.guidance_scale"));
  // Swapped models could serve no call at all: refused when the sampler is made.
  CHECK_THROWS_WITH(
      GuidedSampler(golden_stage("superres"), golden_stage("text2im")),
      Catch::Contains("the base model is an upsampler") && Catch::Contains("swapped"));
  CHECK_THROWS_WITH(GuidedSampler(StageModel{}, golden_stage("inpaint")),
                    Catch::Contains("the upsampler model is an inpainting base model"));
}

TEST_CASE("full-size base model, 2 steps, batch 1 on the CPU", "[pipeline][slow]") {
  const auto start = std::chrono::steady_clock::now();
  GuidedSampler sampler(StageModel{Text2ImUNet(ModelConfig::base()), DiffusionConfig{}},
                        StageModel{});
  GenerationParams p;
  p.prompts = {"an oil painting of a corgi"};
  p.base.respacing = "2";
  p.upsample = false;
  // bfloat16, the CPU's fast path (oneDNN): float32 took 42-48 s on the busy 2-core machine.
  p.dtype = torch::kBFloat16;
  const auto result = sampler.generate(p);
  CHECK(result.base.sizes() == at::IntArrayRef({1, 64, 64, 3}));
  CHECK(result.base.scalar_type() == at::kByte);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  WARN("full-size base (built, converted, 2 guided steps): " << seconds << " s");
}
