// Pipeline pieces without models: parameter validation (every error names its field), image
// conversion, per-image noise, out-of-memory reports.
#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include <cstdlib>
#include <functional>
#include <limits>
#include <string>

#include "core/seeded_generator.hpp"
#include "glide/error.hpp"
#include "glide/pipeline/generation_params.hpp"
#include "glide/pipeline/guided_sampler.hpp"
#include "glide/pipeline/ineffective_settings.hpp"
#include "glide/pipeline/per_image_noise.hpp"
#include "glide/runtime.hpp"
#include "pipeline/out_of_memory.hpp"
#include "support/catch_torch.hpp"

namespace {

using glide::GenerationParams;

GenerationParams valid_params() {
  GenerationParams p;
  p.prompts = {"a painting of a fox"};
  return p;
}

// Applies `change` to valid params and expects validate() to reject them naming `field` and each
// of `mentions`.
void expect_rejected(const std::function<void(GenerationParams&)>& change, const std::string& field,
                     const std::vector<std::string>& mentions = {}) {
  GenerationParams p = valid_params();
  change(p);
  INFO("field " << field);
  try {
    p.validate();
    FAIL("validate() accepted an invalid " << field);
  } catch (const glide::Error& e) {
    INFO("message: " << e.what());
    CHECK(e.status() == glide::Status::invalid_argument);
    CHECK_THAT(e.what(), Catch::Contains(field));
    for (const auto& m : mentions) CHECK_THAT(e.what(), Catch::Contains(m));
  }
}

const double kNaN = std::numeric_limits<double>::quiet_NaN();
const double kInf = std::numeric_limits<double>::infinity();

}  // namespace

TEST_CASE("default and typical generation params are valid", "[pipeline]") {
  GenerationParams p = valid_params();
  CHECK_NOTHROW(p.validate());
  p.batch_size = 4;
  p.prompts = {"a", "b", "c", "d"};
  p.dtype = torch::kBFloat16;
  p.negative_prompt = "blurry";
  p.base.sampler = "ddim";
  p.base.eta = 1.0;
  p.base.thresholding = "dynamic";
  p.base.guidance_scale = 0.0;
  CHECK_NOTHROW(p.validate());
  CHECK(p.expanded_prompts().size() == 4);
  p.prompts = {"one"};
  CHECK(p.expanded_prompts() == std::vector<std::string>(4, "one"));
}

TEST_CASE("stage defaults are GLIDE's notebook settings", "[pipeline]") {
  const auto base = glide::StageParams::base_defaults();
  CHECK(base.sampler == "ddpm");
  CHECK(base.respacing == "100");
  CHECK(base.guided);
  CHECK(base.guidance_scale == 3.0);
  CHECK(base.temperature == 1.0);
  const auto up = glide::StageParams::upsampler_defaults();
  CHECK(up.sampler == "ddim");
  CHECK(up.respacing == "fast27");
  CHECK_FALSE(up.guided);
  CHECK(up.temperature == 0.997);
  const auto up_inpaint = glide::StageParams::upsampler_inpaint_defaults();
  CHECK(up_inpaint.sampler == "ddpm");
  CHECK(up_inpaint.respacing == "fast27");
  CHECK_FALSE(up_inpaint.guided);
}

TEST_CASE("every invalid field is rejected by name", "[pipeline]") {
  // No prompt at all is said as such (batch_size = 0, which the count would suggest, is refused).
  expect_rejected([](auto& p) { p.prompts.clear(); }, "prompts is empty",
                  {"give one prompt, or one for every image"});
  expect_rejected([](auto& p) { p.base.sampler = "euler"; }, "base.sampler",
                  {"euler", "ddpm", "ddim", "dpm++2m"});
  expect_rejected([](auto& p) { p.upsampler.sampler = ""; }, "upsampler.sampler");
  expect_rejected([](auto& p) { p.base.respacing = "200000"; }, "base.respacing", {"200000"});
  expect_rejected([](auto& p) { p.upsampler.respacing = "fast"; }, "upsampler.respacing");
  expect_rejected(
      [](auto& p) {
        p.base.sampler = "ddim";
        p.base.eta = 1.5;
      },
      "base.eta", {"1.5"});
  expect_rejected([](auto& p) { p.base.eta = 0.5; }, "base.eta", {"ddpm"});
  expect_rejected([](auto& p) { p.upsampler.eta = kNaN; }, "upsampler.eta");
  expect_rejected([](auto& p) { p.base.guidance_scale = -1; }, "base.guidance_scale", {"-1"});
  expect_rejected([](auto& p) { p.base.guidance_scale = kInf; }, "base.guidance_scale");
  expect_rejected([](auto& p) { p.upsampler.guidance_scale = kNaN; }, "upsampler.guidance_scale");
  expect_rejected([](auto& p) { p.base.guidance_rescale = 1.5; }, "base.guidance_rescale");
  expect_rejected([](auto& p) { p.base.thresholding = "soft"; }, "base.thresholding",
                  {"clip", "dynamic", "none"});
  expect_rejected([](auto& p) { p.base.dynamic_percentile = 0; }, "base.dynamic_percentile");
  expect_rejected([](auto& p) { p.base.dynamic_percentile = 1.01; }, "base.dynamic_percentile");
  expect_rejected([](auto& p) { p.upsampler.temperature = 0; }, "upsampler.temperature");
  expect_rejected([](auto& p) { p.base.temperature = -kInf; }, "base.temperature");
  expect_rejected([](auto& p) { p.batch_size = 0; }, "batch_size", {"0"});
  expect_rejected([](auto& p) { p.batch_size = GenerationParams::kMaxBatchSize + 1; },
                  "batch_size");
  expect_rejected(
      [](auto& p) {
        p.batch_size = 3;
        p.prompts = {"a", "b"};
      },
      "prompts", {"2", "3"});
  expect_rejected([](auto& p) { p.prompts.clear(); }, "prompts");
  expect_rejected(
      [](auto& p) {
        p.batch_size = 2;
        p.prompts = {"fine", "bad \xff byte"};
      },
      "prompts[1]", {"UTF-8"});
  expect_rejected([](auto& p) { p.negative_prompt = "\xc0\xaf"; }, "negative_prompt");
  expect_rejected([](auto& p) { p.dtype = torch::kFloat16; }, "dtype", {"float16", "cpu"});
  expect_rejected([](auto& p) { p.dtype = torch::kLong; }, "dtype");
  expect_rejected([](auto& p) { p.device = torch::Device("meta"); }, "device");
  if (!at::hasCUDA()) {
    expect_rejected([](auto& p) { p.device = torch::Device("cuda"); }, "device", {"CUDA"});
  }
}

TEST_CASE("respacing is checked against the model's number of steps", "[pipeline]") {
  glide::StageParams p;
  p.respacing = "200";
  CHECK_NOTHROW(p.validate("base"));
  try {
    p.validate("base", 100);
    FAIL("a 200-step respacing of a 100-step process was accepted");
  } catch (const glide::Error& e) {
    CHECK_THAT(e.what(), Catch::Contains("base.respacing"));
    CHECK_THAT(e.what(), Catch::Contains("100"));
  }
  // Before the model is known only the spec itself is checked: 1001 steps may suit a longer
  // process (it was refused against an assumed 1000-step one).
  p.respacing = "1001";
  CHECK_NOTHROW(p.validate("base"));
  CHECK_NOTHROW(p.validate("base", 4000));
  CHECK_THROWS_WITH(p.validate("base", 1000), Catch::Contains("1000-step process"));
  p.respacing = "abc";
  CHECK_THROWS_WITH(p.validate("base"), Catch::Contains("base.respacing is \"abc\""));
  // The same for "ddimN"; no message names a step count the model does not have (it said "of
  // 100000 steps", the largest process allowed, for a 1000-step model).
  p.respacing = "ddim1001";
  CHECK_NOTHROW(p.validate("base"));
  CHECK_THROWS_WITH(p.validate("base", 1000),
                    Catch::Contains("no integer stride keeps exactly 1001 of 1000 steps"));
  p.respacing = "1000000";
  CHECK_THROWS_WITH(p.validate("base"), Catch::Contains("keeps more steps than any process has") &&
                                            !Catch::Contains("100000 steps"));
  p.respacing = "0,0";
  CHECK_THROWS_WITH(p.validate("base"), Catch::Contains("keeps no timesteps"));
}

TEST_CASE("settings the other settings make pointless are found with their reason", "[pipeline]") {
  using Reason = glide::IneffectiveSetting::Reason;
  // Reasons as numbers, which Catch can print.
  using Found = std::vector<std::pair<std::string, int>>;
  const auto reasons = [](const glide::GenerationParams& p, std::vector<std::string> set,
                          bool base_runs, bool upsampler_runs) {
    Found out;
    for (const auto& s : glide::ineffective_settings(p, set, base_runs, upsampler_runs)) {
      out.emplace_back(s.field, static_cast<int>(s.reason));
    }
    return out;
  };
  const auto not_run = static_cast<int>(Reason::stage_not_run);
  const auto unguided = static_cast<int>(Reason::stage_unguided);
  const auto not_dynamic = static_cast<int>(Reason::thresholding_not_dynamic);
  const auto nothing_guided = static_cast<int>(Reason::no_stage_guided);
  glide::GenerationParams p;  // guided base, unguided upsampler, clip thresholding
  const std::vector<std::string> all = {"negative_prompt",          "seed",
                                        "base.guidance_scale",      "base.dynamic_percentile",
                                        "upsampler.guidance_scale", "upsampler.guidance_rescale",
                                        "upsampler.temperature"};
  CHECK(reasons(p, all, true, true) == Found{{"base.dynamic_percentile", not_dynamic},
                                             {"upsampler.guidance_scale", unguided},
                                             {"upsampler.guidance_rescale", unguided}});
  CHECK(reasons(p, all, true, false) == Found{{"base.dynamic_percentile", not_dynamic},
                                              {"upsampler.guidance_scale", not_run},
                                              {"upsampler.guidance_rescale", not_run},
                                              {"upsampler.temperature", not_run}});
  // With only the (unguided) upsampler running, nothing reads the negative prompt.
  CHECK(reasons(p, {"negative_prompt", "base.guidance_scale"}, false, true) ==
        Found{{"negative_prompt", nothing_guided}, {"base.guidance_scale", not_run}});
  p.base.thresholding = "dynamic";
  p.upsampler.guided = true;
  CHECK(reasons(p, all, true, true).empty());
}

TEST_CASE("uint8 images and [-1, 1] tensors convert both ways", "[pipeline]") {
  const torch::Tensor images = at::arange(0, 256, at::kInt)
                                   .to(at::kByte)
                                   .view({1, 16, 16, 1})
                                   .expand({2, 16, 16, 3})
                                   .contiguous();
  const torch::Tensor x = glide::from_uint8_images(images);
  CHECK(x.sizes() == at::IntArrayRef({2, 3, 16, 16}));
  CHECK(x.min().item<float>() == -1.0f);
  CHECK(x.max().item<float>() == 1.0f);
  CHECK(glide::to_uint8_images(x).equal(images));
  // Out of range values clamp; 127.5 rounds to even (128) as torch.round does.
  const torch::Tensor y =
      at::tensor({-1.5f, 1.2f, -0.99f, 0.0f}).view({1, 1, 2, 2}).expand({1, 3, 2, 2});
  const torch::Tensor u = glide::to_uint8_images(y);
  CHECK(u[0][0][0][0].item<int>() == 0);
  CHECK(u[0][0][1][0].item<int>() == 255);
  CHECK(u[0][1][0][0].item<int>() == 1);
  CHECK(u[0][1][1][0].item<int>() == 128);
  CHECK_THROWS_AS(glide::from_uint8_images(images.to(at::kFloat)), glide::Error);
  CHECK_THROWS_AS(glide::to_uint8_images(x.permute({0, 2, 3, 1})), glide::Error);
}

TEST_CASE("per-image noise: row k is seed k's stream, whatever the batch", "[pipeline]") {
  auto batch = glide::PerImageNoise::consecutive(40, 3);
  const auto options = at::TensorOptions().dtype(at::kFloat);
  const torch::Tensor first = batch.next({3, 3, 8, 8}, options);
  const torch::Tensor second = batch.next({3, 3, 8, 8}, options);
  for (int64_t k = 0; k < 3; ++k) {
    glide::GeneratorNoise alone(40 + static_cast<uint64_t>(k));
    CHECK(first[k].equal(alone.next({1, 3, 8, 8}, options)[0]));
    CHECK(second[k].equal(alone.next({1, 3, 8, 8}, options)[0]));
  }
  CHECK(batch.next({3, 2}, at::TensorOptions().dtype(at::kDouble)).scalar_type() == at::kDouble);
  CHECK_THROWS_AS(batch.next({6, 3, 8, 8}, options), glide::Error);
}

TEST_CASE("LibTorch's out-of-memory failures become out_of_memory errors naming the work",
          "[pipeline]") {
  using glide::pipeline::translating_out_of_memory;
  // What the CPU allocator of LibTorch 1.13 throws (a plain c10::Error): a real one.
  const auto huge_cpu_allocation = [] { return at::empty({int64_t{1} << 50}, at::kByte); };
  try {
    translating_out_of_memory("stage base, batch 16 on cpu in float32", false, huge_cpu_allocation);
    FAIL("a 1 PiB allocation succeeded");
  } catch (const glide::Error& e) {
    CHECK(e.status() == glide::Status::out_of_memory);
    const std::string message = e.what();
    CHECK_THAT(message,
               Catch::StartsWith("stage base, batch 16 on cpu in float32: out of memory ("));
    CHECK_THAT(message, Catch::Contains("smaller batch size"));
    CHECK_THAT(message, !Catch::Contains("frame #"));  // no LibTorch backtrace
    CHECK_THAT(message, !Catch::Contains("GPU memory"));
    // The allocator's words, shortened to what a user needs.
    CHECK_THAT(message, Catch::Contains("(could not allocate 1125899906842624 bytes)"));
  }
  // CUDA's kind: c10::OutOfMemoryError, whatever it says; on CUDA the advice names the graphs.
  const auto cuda_oom = []() -> int {
    throw c10::OutOfMemoryError({__func__, __FILE__, __LINE__}, "CUDA out of memory. Tried 2 GiB");
  };
  try {
    translating_out_of_memory("stage upsampler, batch 4 on cuda:0 in float16", true, cuda_oom);
    FAIL("no error");
  } catch (const glide::Error& e) {
    CHECK(e.status() == glide::Status::out_of_memory);
    CHECK_THAT(std::string(e.what()), Catch::Contains("(CUDA out of memory. Tried 2 GiB)"));
    CHECK_THAT(std::string(e.what()), Catch::Contains("release_cached_networks"));
  }
  // Other failures pass through unchanged, and results come back.
  const auto other = []() -> int { TORCH_CHECK(false, "shapes do not match"); };
  CHECK_THROWS_AS(translating_out_of_memory("x", false, other), c10::Error);
  CHECK(translating_out_of_memory("x", false, [] { return 7; }) == 7);
}

TEST_CASE("seeds count all 64 bits; those below 2^32 draw as torch.manual_seed does",
          "[pipeline]") {
  // Raw 32-bit outputs of numpy.random.RandomState(key): its int seeding is MT19937's
  // init_genrand, as LibTorch's, and its list seeding init_by_array, key = [low, high] words.
  const auto first_words = [](uint64_t seed) {
    at::Generator g = glide::seeded_cpu_generator(seed);
    auto* impl = g.get<at::CPUGeneratorImpl>();
    return std::vector<uint32_t>{impl->random(), impl->random(), impl->random()};
  };
  CHECK(first_words(5) == std::vector<uint32_t>{953453411u, 236996814u, 3739766767u});
  CHECK(first_words((uint64_t{1} << 32) + 5) ==
        std::vector<uint32_t>{675479763u, 2085189291u, 1213270837u});
  CHECK(first_words(uint64_t{1} << 32) ==
        std::vector<uint32_t>{485306839u, 1508871100u, 1794561286u});
  CHECK(first_words(~uint64_t{0}) == std::vector<uint32_t>{93740670u, 1068495656u, 1452108352u});

  // Seeds below 2^32: LibTorch's own generator, so the reference's noise.
  const auto draw = [](at::Generator g) { return at::empty({64}).normal_(0, 1, g); };
  CHECK(at::equal(draw(glide::seeded_cpu_generator(123)),
                  draw(at::make_generator<at::CPUGeneratorImpl>(123))));
  // seed and seed + 2^32 drew the same images before.
  glide::PerImageNoise low({7}), high({7 + (uint64_t{1} << 32)});
  CHECK_FALSE(at::equal(low.next({1, 3, 4, 4}, at::kFloat), high.next({1, 3, 4, 4}, at::kFloat)));
}

TEST_CASE("GLIDE_NUM_THREADS takes the thread counts set_num_threads does", "[pipeline]") {
  const int before = glide::num_threads();
  ::setenv("GLIDE_NUM_THREADS", "2000", 1);
  std::string message;
  try {
    glide::set_num_threads(0);  // 0: the default, read from the variable
  } catch (const glide::Error& e) {
    message = e.what();
  }
  ::unsetenv("GLIDE_NUM_THREADS");
  CHECK(message == "GLIDE_NUM_THREADS=\"2000\" is not a thread count from 1 to 1024");
  glide::set_num_threads(before);
}
