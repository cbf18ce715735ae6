// Classifier-free guidance, guidance rescale and the x_0 hooks, on toy denoise functions.
#include <ATen/CPUGeneratorImpl.h>
#include <torch/types.h>

#include <cmath>
#include <string>
#include <vector>

#include "glide/diffusion/gaussian_diffusion.hpp"
#include "glide/diffusion/schedule.hpp"
#include "glide/error.hpp"
#include "glide/guidance/classifier_free.hpp"
#include "glide/guidance/denoised.hpp"
#include "glide/samplers/sampler.hpp"
#include "support/catch_torch.hpp"

using Catch::Matchers::Contains;
using glide::GaussianDiffusion;

using glide::test::max_abs_diff;

namespace {

torch::Tensor randn(std::vector<int64_t> shape, uint64_t seed) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  return torch::randn(shape, gen, torch::kDouble);
}

// A "model" whose first B rows are conditional and last B unconditional: each row's x_0 is a
// point mass at its own mean, so eps = (x − α·mean) / σ with the original process's ᾱ.
struct TwoPointMasses {
  GaussianDiffusion base{glide::named_beta_schedule("squaredcos_cap_v2", 1000)};
  torch::Tensor cond_mean, uncond_mean;
  int calls = 0;
  torch::Tensor last_x, last_t;

  glide::DenoiseFn fn() {
    return [this](const torch::Tensor& x, const torch::Tensor& t) {
      ++calls;
      last_x = x;
      last_t = t;
      const int64_t half = x.size(0) / 2;
      const auto means = torch::cat(
          {cond_mean.expand({half, -1, -1, -1}), uncond_mean.expand({half, -1, -1, -1})});
      const auto ab = base.extract(base.alphas_cumprod(), t, x);
      const auto eps = (x - ab.sqrt() * means) / (1 - ab).sqrt();
      // Variance values that tell the halves apart.
      const auto var = torch::cat({torch::full({half}, 0.25, x.options()),
                                   torch::full({half}, -0.75, x.options())})
                           .view({-1, 1, 1, 1})
                           .expand_as(x);
      return glide::ModelOutput{eps, var};
    };
  }
};

torch::Tensor values(std::vector<double> v) {
  return torch::tensor(v, torch::kDouble).view({1, -1, 1, 1});
}

}  // namespace

TEST_CASE("classifier-free guidance runs the model once on [x_cond; x_cond]", "[guidance]") {
  TwoPointMasses model;
  model.cond_mean = values({0.3, 0.2, -0.1});
  model.uncond_mean = values({0.1, 0.0, 0.1});
  const auto guided = glide::classifier_free_guidance(model.fn(), 3.0);
  const auto x = randn({4, 3, 2, 2}, 1);
  const auto t = torch::tensor({500, 500, 500, 500}, torch::kLong);
  const auto out = guided(x, t);
  CHECK(model.calls == 1);
  CHECK(model.last_t.equal(t));
  CHECK(model.last_x.narrow(0, 0, 2).equal(x.narrow(0, 0, 2)));
  CHECK(model.last_x.narrow(0, 2, 2).equal(x.narrow(0, 0, 2)));

  const auto raw = model.fn()(model.last_x, t);
  const auto cond = raw.eps.narrow(0, 0, 2), uncond = raw.eps.narrow(0, 2, 2);
  const auto expected = uncond + 3.0 * (cond - uncond);
  CHECK(max_abs_diff(out.eps.narrow(0, 0, 2), expected) < 1e-12);
  CHECK(max_abs_diff(out.eps.narrow(0, 2, 2), expected) < 1e-12);
  CHECK(out.var_values.equal(raw.var_values));  // both halves' own, untouched

  CHECK(max_abs_diff(glide::classifier_free_guidance(model.fn(), 1.0)(x, t).eps.narrow(0, 0, 2),
                     cond) < 1e-12);
  CHECK(max_abs_diff(glide::classifier_free_guidance(model.fn(), 0.0)(x, t).eps.narrow(0, 0, 2),
                     uncond) < 1e-12);
}

// With point masses at c and u, the guided eps is exactly that of a point mass at
// u + s·(c − u), so deterministic sampling lands there.
TEST_CASE("guided ddim on two point masses lands on the extrapolated point", "[guidance]") {
  TwoPointMasses model;
  model.cond_mean = values({0.3, 0.2, -0.1});
  model.uncond_mean = values({0.1, 0.0, 0.1});
  const double scale = 3.0;
  const auto diffusion = GaussianDiffusion::from_config({1000, "squaredcos_cap_v2", "25"});
  glide::GeneratorNoise noise(0);
  const auto x0 = glide::make_sampler("ddim")->sample(
      diffusion, glide::classifier_free_guidance(model.fn(), scale), randn({4, 3, 2, 2}, 2), noise);
  const auto target = model.uncond_mean + scale * (model.cond_mean - model.uncond_mean);
  CHECK(max_abs_diff(x0.narrow(0, 0, 2), target.expand({2, 3, 2, 2})) < 1e-12);
  CHECK(model.calls == 25);
}

TEST_CASE("guidance rescale matches the conditional eps's spread", "[guidance]") {
  TwoPointMasses model;
  model.cond_mean = values({0.3, 0.2, -0.1});
  model.uncond_mean = values({-0.4, 0.5, 0.1});
  const auto x = randn({4, 3, 4, 4}, 3);
  const auto t = torch::full({4}, 300, torch::kLong);
  const auto plain = glide::classifier_free_guidance(model.fn(), 5.0)(x, t).eps;
  const auto full = glide::classifier_free_guidance(model.fn(), 5.0, 1.0)(x, t).eps;
  const auto half = glide::classifier_free_guidance(model.fn(), 5.0, 0.5)(x, t).eps;
  const auto cond = model.fn()(torch::cat({x.narrow(0, 0, 2), x.narrow(0, 0, 2)}), t).eps;
  for (int64_t i = 0; i < 2; ++i) {
    INFO("sample " << i);
    CHECK(full[i].std().item<double>() == Approx(cond[i].std().item<double>()).epsilon(1e-10));
    CHECK(std::abs(plain[i].std().item<double>() - cond[i].std().item<double>()) > 1e-3);
    // Same direction, only the scale changes.
    const double ratio = (full[i] / plain[i]).mean().item<double>();
    CHECK(max_abs_diff(full[i], plain[i] * ratio) < 1e-12);
  }
  CHECK(max_abs_diff(half, 0.5 * (plain + full)) < 1e-12);
}

TEST_CASE("classifier-free guidance rejects what it cannot use", "[guidance]") {
  TwoPointMasses model;
  model.cond_mean = model.uncond_mean = values({0.0, 0.0, 0.0});
  for (const auto& [scale, rescale] : std::vector<std::pair<double, double>>{
           {NAN, 0.0}, {INFINITY, 0.0}, {3.0, -0.1}, {3.0, 1.5}}) {
    INFO(scale << " " << rescale);
    try {
      glide::classifier_free_guidance(model.fn(), scale, rescale);
      FAIL("accepted");
    } catch (const glide::Error& e) {
      CHECK(e.status() == glide::Status::invalid_argument);
      CHECK_THAT(e.what(), Contains("guidance_"));
    }
  }
  try {
    glide::classifier_free_guidance(model.fn(), 3.0)(torch::zeros({3, 3, 2, 2}),
                                                     torch::zeros({3}, torch::kLong));
    FAIL("accepted");
  } catch (const glide::Error& e) {
    CHECK_THAT(e.what(), Contains("batch of 3"));
  }
}

TEST_CASE("dynamic thresholding scales each sample by its own percentile", "[guidance]") {
  // Sample 0: |x| = 0..99, whose 0.995 quantile (linear) is 98.505. Sample 1: inside [-1, 1].
  const auto big =
      torch::arange(100.0, torch::kDouble) * torch::tensor({1.0, -1.0}, torch::kDouble).repeat(50);
  const auto small = torch::linspace(-0.9, 0.9, 100, torch::kDouble);
  const auto x0 = torch::stack({big, small}).view({2, 1, 10, 10});
  const auto out = glide::dynamic_thresholding()(x0);
  CHECK(out[0].abs().max().item<double>() == Approx(1.0));
  CHECK(out[0].flatten()[50].item<double>() == Approx(50.0 / 98.505).epsilon(1e-12));
  CHECK(out[0].flatten()[99].item<double>() == Approx(-1.0).epsilon(1e-12));
  CHECK(out[1].equal(x0[1]));  // s = max(1, ...) = 1
  const auto all = glide::dynamic_thresholding(1.0)(x0);
  CHECK(all[0].flatten()[98].item<double>() == Approx(98.0 / 99.0).epsilon(1e-12));
  CHECK(glide::dynamic_thresholding()(x0.to(torch::kFloat)).scalar_type() == torch::kFloat);
  for (const double p : {0.0, -0.5, 1.5, double(NAN)}) {
    INFO(p);
    CHECK_THROWS_AS(glide::dynamic_thresholding(p), glide::Error);
  }
}

TEST_CASE("static clipping, known-region replacement and chaining", "[guidance]") {
  const auto x0 = torch::tensor({-3.0, -0.5, 0.5, 3.0}, torch::kDouble).view({1, 1, 2, 2});
  CHECK(glide::static_clipping()(x0).equal(x0.clamp(-1, 1)));

  const auto image = torch::full({1, 3, 2, 2}, 0.7, torch::kDouble);
  const auto mask = torch::tensor({1.0, 0.0, 0.0, 1.0}, torch::kDouble).view({1, 1, 2, 2});
  const auto x = torch::full({1, 3, 2, 2}, -0.2, torch::kDouble);
  const auto kept = glide::keep_known_region(image, mask)(x);
  CHECK(kept[0][1][0][0].item<double>() == 0.7);
  CHECK(kept[0][2][0][1].item<double>() == -0.2);
  CHECK(kept[0][0][1][1].item<double>() == 0.7);
  CHECK(glide::keep_known_region(image, mask.to(torch::kBool))(x).equal(kept));
  try {
    glide::keep_known_region(image, torch::ones({1, 1, 3, 3}))(x);
    FAIL("accepted");
  } catch (const glide::Error& e) {
    CHECK_THAT(e.what(), Contains("[1, 1, 3, 3]") && Contains("[1, 3, 2, 2]"));
  }
  const auto chained =
      glide::chain_denoised({[](const torch::Tensor& v) { return v * 10; }, nullptr,
                             glide::static_clipping()})(torch::full({1}, 0.05, torch::kDouble));
  CHECK(chained.item<double>() == Approx(0.5));
}

// GLIDE's inpainting loop: guided DDPM whose x_0 is replaced in the known region at every step.
// The last step returns x_0 itself, so the known region comes out exactly.
TEST_CASE("guided ddpm with known-region replacement reproduces the known pixels", "[guidance]") {
  TwoPointMasses model;
  model.cond_mean = values({0.3, 0.2, -0.1});
  model.uncond_mean = values({0.1, 0.0, 0.1});
  const auto diffusion = GaussianDiffusion::from_config({1000, "squaredcos_cap_v2", "10"});
  const auto image = randn({4, 3, 4, 4}, 4).clamp(-1, 1);
  auto mask = torch::zeros({4, 1, 4, 4}, torch::kDouble);
  mask.narrow(2, 0, 2).fill_(1.0);
  glide::SampleOptions options;
  int hooked = 0;
  options.denoised_fn = glide::chain_denoised({[&](const torch::Tensor& v) {
                                                 ++hooked;
                                                 return v;
                                               },
                                               glide::keep_known_region(image, mask)});
  glide::GeneratorNoise noise(5);
  const auto x0 = glide::make_sampler("ddpm")->sample(
      diffusion, glide::classifier_free_guidance(model.fn(), 3.0), randn({4, 3, 4, 4}, 6), noise,
      options);
  CHECK(hooked == 10);
  CHECK(max_abs_diff(x0.narrow(2, 0, 2), image.narrow(2, 0, 2)) < 1e-12);
  const auto target = (model.uncond_mean + 3.0 * (model.cond_mean - model.uncond_mean));
  CHECK(max_abs_diff(x0.narrow(0, 0, 2).narrow(2, 2, 2), target.expand({2, 3, 2, 4})) < 1e-12);
}
