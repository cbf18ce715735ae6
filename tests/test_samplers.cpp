// Samplers on toy denoise functions with known answers, and the noise sources.
#include <ATen/CPUGeneratorImpl.h>
#include <torch/types.h>

#include <cmath>
#include <iostream>
#include <string>
#include <vector>

#include "glide/diffusion/gaussian_diffusion.hpp"
#include "glide/diffusion/schedule.hpp"
#include "glide/error.hpp"
#include "glide/samplers/noise.hpp"
#include "glide/samplers/sampler.hpp"
#include "support/brownian_noise.hpp"
#include "support/catch_torch.hpp"

using Catch::Matchers::Contains;
using glide::GaussianDiffusion;

using glide::test::max_abs_diff;

namespace {

// The ideal denoiser when x_0 ~ N(mean, std²) per element (std = 0: a point mass at `mean`):
// E[eps | x_t] = σ (x_t − α·mean) / (α² std² + σ²), with ᾱ of the ORIGINAL 1000-step process at
// the timesteps the sampler hands over.
struct GaussianData {
  GaussianDiffusion base;
  torch::Tensor mean;
  double std;
  double var_value;
  int calls = 0;

  GaussianData(const std::string& schedule, torch::Tensor mean_, double std_, double var_value_)
      : base(glide::named_beta_schedule(schedule, 1000)),
        mean(std::move(mean_)),
        std(std_),
        var_value(var_value_) {}

  glide::DenoiseFn fn() {
    return [this](const torch::Tensor& x, const torch::Tensor& t) {
      ++calls;
      const auto alpha_bar = base.extract(base.alphas_cumprod(), t, x);
      const auto alpha = alpha_bar.sqrt();
      const auto sigma2 = 1 - alpha_bar;
      const auto m = mean.to(x.scalar_type());
      const auto eps = sigma2.sqrt() * (x - alpha * m) / (alpha_bar * std * std + sigma2);
      return glide::ModelOutput{eps, torch::full_like(x, var_value)};
    };
  }
};

torch::Tensor channel_values(std::vector<double> values, torch::Dtype dtype) {
  return torch::tensor(values, torch::kDouble).view({1, -1, 1, 1}).to(dtype);
}

class ZeroNoise : public glide::NoiseSource {
 public:
  int draws = 0;
  torch::Tensor next(at::IntArrayRef shape, const at::TensorOptions& options) override {
    ++draws;
    return torch::zeros(shape, options);
  }
};

torch::Tensor randn(std::vector<int64_t> shape, uint64_t seed, torch::Dtype dtype) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  return torch::randn(shape, gen, torch::kDouble).to(dtype);
}

// Network evaluations in the first `steps` of `total` steps: Heun evaluates twice per step but
// once on the first and the last.
int64_t evaluations(const std::string& sampler, int64_t steps, int64_t total) {
  if (sampler != "heun" || steps == 0) return steps;
  return 2 * steps - 1 - (steps == total && total > 1 ? 1 : 0);
}

}  // namespace

TEST_CASE("the sampler registry knows its samplers and rejects others with the list",
          "[samplers]") {
  const auto names = glide::sampler_names();
  for (const std::string name : {"ddpm", "ddim", "dpm++2m", "heun", "euler_a", "dpm++2m_sde"}) {
    INFO(name);
    CHECK(std::find(names.begin(), names.end(), name) != names.end());
    CHECK(glide::make_sampler(name)->name() == name);
  }
  try {
    glide::make_sampler("plms");
    FAIL("accepted");
  } catch (const glide::Error& e) {
    CHECK(e.status() == glide::Status::not_found);
    CHECK_THAT(e.what(), Contains("'plms'") && Contains("ddim"));
  }
  for (const auto& [name, eta] :
       std::vector<std::pair<std::string, double>>{{"ddpm", 0.5},
                                                   {"dpm++2m", 1.0},
                                                   {"heun", 0.3},
                                                   {"ddim", -0.1},
                                                   {"ddim", 1.5},
                                                   {"ddim", NAN},
                                                   {"euler_a", -0.5},
                                                   {"euler_a", INFINITY},
                                                   {"dpm++2m_sde", 1.5},
                                                   {"dpm++2m_sde", NAN}}) {
    INFO(name << " eta " << eta);
    try {
      glide::make_sampler(name, {eta});
      FAIL("accepted");
    } catch (const glide::Error& e) {
      CHECK(e.status() == glide::Status::invalid_argument);
      CHECK_THAT(e.what(), Contains("eta"));
    }
  }
  // An explicit 0 is what a caller with one eta for every sampler passes.
  for (const std::string name : glide::sampler_names()) {
    INFO(name);
    CHECK(glide::make_sampler(name, {0.0})->name() == name);
  }
  CHECK(glide::make_sampler("euler_a", {2.0})->name() == "euler_a");
}

TEST_CASE("every sampler lands exactly on a point mass", "[samplers]") {
  for (const std::string schedule : {"squaredcos_cap_v2", "linear"}) {
    for (const std::string respacing : {"10", "fast27", "ddim25"}) {
      for (const std::string sampler : glide::sampler_names()) {
        for (const auto dtype : {torch::kFloat, torch::kDouble}) {
          INFO(sampler << " " << schedule << " '" << respacing << "' "
                       << (dtype == torch::kFloat ? "float32" : "float64"));
          const auto diffusion = GaussianDiffusion::from_config({1000, schedule, respacing});
          GaussianData data(schedule, channel_values({0.25, -0.5, 0.9}, dtype), 0.0, 0.0);
          glide::GeneratorNoise noise(7);
          const auto x_T = randn({2, 3, 4, 4}, 1, dtype);
          const auto x0 = glide::make_sampler(sampler)->sample(diffusion, data.fn(), x_T, noise);
          const int64_t K = diffusion.num_timesteps();
          CHECK(data.calls == evaluations(sampler, K, K));
          // float32: the toy's own x − α·mean cancels, then is divided by σ ≈ 0.01 at the end.
          CHECK(max_abs_diff(x0, data.mean.expand_as(x0)) <
                (dtype == torch::kFloat ? 1e-4 : 1e-12));
        }
      }
    }
  }
}

// Ho et al. 2020 eq. 7 written out in float64 from the diffusion's ᾱ and β tables.
TEST_CASE("ddpm follows the posterior with the learned-range variance and recorded noise",
          "[samplers]") {
  const auto diffusion = GaussianDiffusion::from_config({1000, "squaredcos_cap_v2", "10"});
  const int64_t K = diffusion.num_timesteps();
  for (const double v : {-1.0, 1.0, 0.3}) {
    INFO("variance value " << v);
    GaussianData data("squaredcos_cap_v2", channel_values({0.1, -0.2, 0.3}, torch::kDouble), 0.4,
                      v);
    const auto x_T = randn({2, 3, 4, 4}, 2, torch::kDouble);
    const auto draws = randn({K, 2, 3, 4, 4}, 3, torch::kDouble);
    auto recorded = glide::RecordedNoise::from_stacked(draws);
    glide::SampleOptions options;
    options.clip_denoised = false;
    const auto x0 =
        glide::make_sampler("ddpm")->sample(diffusion, data.fn(), x_T, recorded, options);
    CHECK(recorded.used() == static_cast<size_t>(K));

    auto x = x_T.clone();
    for (int64_t i = K - 1; i >= 0; --i) {
      const double ab = diffusion.alphas_cumprod()[i];
      const double ab_prev = diffusion.alphas_cumprod_prev()[i];
      const double beta = diffusion.betas()[i];
      const double alpha = std::sqrt(ab), sigma2 = 1 - ab;
      const auto eps = std::sqrt(sigma2) * (x - alpha * data.mean) / (ab * 0.16 + sigma2);
      const auto pred_x0 = (x - std::sqrt(sigma2) * eps) / alpha;
      const auto mean = beta * std::sqrt(ab_prev) / (1 - ab) * pred_x0 +
                        (1 - ab_prev) * std::sqrt(1 - beta) / (1 - ab) * x;
      const double min_log =
          std::log(i == 0 ? diffusion.posterior_variance()[1] : beta * (1 - ab_prev) / (1 - ab));
      const double frac = (v + 1) / 2;
      const double log_var = frac * std::log(beta) + (1 - frac) * min_log;
      x = mean + (i == 0 ? 0.0 : std::exp(0.5 * log_var)) * draws[K - 1 - i];
    }
    CHECK(max_abs_diff(x0, x) < 1e-10);
  }
}

TEST_CASE("ddim with eta 1 is ddpm with the posterior variance", "[samplers]") {
  const auto diffusion = GaussianDiffusion::from_config({1000, "linear", "25"});
  GaussianData data("linear", channel_values({0.3, 0.0, -0.6}, torch::kDouble), 0.3, -1.0);
  const auto x_T = randn({3, 3, 2, 2}, 4, torch::kDouble);
  glide::GeneratorNoise a(11), b(11);
  const auto ddpm = glide::make_sampler("ddpm")->sample(diffusion, data.fn(), x_T, a);
  const auto ddim = glide::make_sampler("ddim", {1.0})->sample(diffusion, data.fn(), x_T, b);
  CHECK(max_abs_diff(ddpm, ddim) < 1e-9);
  glide::GeneratorNoise c(11);
  const auto eta0 = glide::make_sampler("ddim", {0.0})->sample(diffusion, data.fn(), x_T, c);
  CHECK(max_abs_diff(ddpm, eta0) > 1e-3);
}

TEST_CASE("ddim with eta 1 stays finite in float32 on a two-step cosine process", "[samplers]") {
  // The first step goes from t = 999 (ᾱ ≈ 2e-9): its direction coefficient rounds to <= 0.
  const auto diffusion = GaussianDiffusion::from_config({1000, "squaredcos_cap_v2", "2"});
  GaussianData data("squaredcos_cap_v2", channel_values({0.3, 0.0, -0.6}, torch::kFloat), 0.3,
                    -1.0);
  for (uint64_t seed : {0, 5, 11}) {
    const auto x_T = randn({3, 3, 2, 2}, seed, torch::kFloat);
    glide::GeneratorNoise noise(seed);
    const auto out = glide::make_sampler("ddim", {1.0})->sample(diffusion, data.fn(), x_T, noise);
    CHECK(torch::isfinite(out).all().item<bool>());
  }
}

TEST_CASE("ddim with eta 0 ignores the noise but draws it at every step", "[samplers]") {
  const auto diffusion = GaussianDiffusion::from_config({1000, "squaredcos_cap_v2", "10"});
  GaussianData data("squaredcos_cap_v2", channel_values({0.3, 0.0, -0.6}, torch::kFloat), 0.5, 0.7);
  const auto x_T = randn({2, 3, 4, 4}, 5, torch::kFloat);
  ZeroNoise zeros;
  glide::GeneratorNoise seeded(3);
  const auto ddim = glide::make_sampler("ddim");
  const auto with_zeros = ddim->sample(diffusion, data.fn(), x_T, zeros);
  const auto with_noise = ddim->sample(diffusion, data.fn(), x_T, seeded);
  CHECK(zeros.draws == 10);
  CHECK(max_abs_diff(with_zeros, with_noise) == 0.0);
}

// For Gaussian data the probability-flow ODE keeps (x_t − α·mean) / sqrt(α² std² + σ²) constant.
TEST_CASE("ddim with many steps follows the probability-flow ODE of Gaussian data", "[samplers]") {
  const auto diffusion = GaussianDiffusion::from_config({1000, "squaredcos_cap_v2", ""});
  GaussianData data("squaredcos_cap_v2", channel_values({0.2, -0.1, 0.0}, torch::kDouble), 0.5,
                    0.0);
  const auto x_T = randn({4, 3, 2, 2}, 6, torch::kDouble);
  ZeroNoise zeros;
  glide::SampleOptions options;
  options.clip_denoised = false;
  const auto x0 = glide::make_sampler("ddim")->sample(diffusion, data.fn(), x_T, zeros, options);
  const double ab_T = diffusion.alphas_cumprod().back();
  const auto expected =
      data.mean + 0.5 * (x_T - std::sqrt(ab_T) * data.mean) / std::sqrt(ab_T * 0.25 + 1 - ab_T);
  CHECK(max_abs_diff(x0, expected) < 2e-3);
}

TEST_CASE("ddpm samples Gaussian data with the right mean and spread", "[samplers]") {
  const auto diffusion = GaussianDiffusion::from_config({1000, "squaredcos_cap_v2", "250"});
  GaussianData data("squaredcos_cap_v2", channel_values({0.2}, torch::kDouble), 0.3, -1.0);
  const auto x_T = randn({20000, 1, 1, 1}, 8, torch::kDouble);
  glide::GeneratorNoise noise(9);
  const auto x0 = glide::make_sampler("ddpm")->sample(diffusion, data.fn(), x_T, noise);
  CHECK(x0.mean().item<double>() == Approx(0.2).margin(0.01));
  CHECK(x0.std().item<double>() == Approx(0.3).epsilon(0.05));
}

TEST_CASE("a progress callback sees every step and can cancel", "[samplers]") {
  const auto diffusion = GaussianDiffusion::from_config({1000, "squaredcos_cap_v2", "10"});
  for (const std::string name : glide::sampler_names()) {
    INFO(name);
    GaussianData data("squaredcos_cap_v2", channel_values({0.0, 0.0, 0.0}, torch::kFloat), 0.5,
                      0.0);
    glide::GeneratorNoise noise(1);
    std::vector<std::pair<int64_t, int64_t>> seen;
    glide::SampleOptions options;
    options.progress = [&](int64_t step, int64_t total) {
      seen.emplace_back(step, total);
      return true;
    };
    const auto sampler = glide::make_sampler(name);
    sampler->sample(diffusion, data.fn(), torch::zeros({1, 3, 2, 2}), noise, options);
    REQUIRE(seen.size() == 10);
    CHECK(seen.front() == std::make_pair<int64_t, int64_t>(1, 10));
    CHECK(seen.back() == std::make_pair<int64_t, int64_t>(10, 10));

    data.calls = 0;
    options.progress = [](int64_t step, int64_t) { return step < 3; };
    try {
      sampler->sample(diffusion, data.fn(), torch::zeros({1, 3, 2, 2}), noise, options);
      FAIL("not cancelled");
    } catch (const glide::Error& e) {
      CHECK(e.status() == glide::Status::cancelled);
      CHECK_THAT(e.what(), Contains("step 3 of 10"));
    }
    CHECK(data.calls == evaluations(name, 3, 10));
  }
}

TEST_CASE("samplers pass denoised_fn through and validate x_T", "[samplers]") {
  const auto diffusion = GaussianDiffusion::from_config({1000, "squaredcos_cap_v2", "10"});
  GaussianData data("squaredcos_cap_v2", channel_values({0.9, 0.9, 0.9}, torch::kFloat), 0.0, 0.0);
  for (const std::string name : glide::sampler_names()) {
    INFO(name);
    glide::GeneratorNoise noise(1);
    glide::SampleOptions options;
    int hooked = 0;
    options.denoised_fn = [&](const torch::Tensor& x0) {
      ++hooked;
      return x0 * 0 - 0.4;
    };
    const auto sampler = glide::make_sampler(name);
    const auto x0 = sampler->sample(diffusion, data.fn(), randn({2, 3, 2, 2}, 1, torch::kFloat),
                                    noise, options);
    CHECK(hooked == evaluations(name, 10, 10));
    CHECK(max_abs_diff(x0, torch::full_like(x0, -0.4)) < 1e-5);
    try {
      sampler->sample(diffusion, data.fn(), torch::zeros({2, 3}, torch::kLong), noise);
      FAIL("accepted");
    } catch (const glide::Error& e) {
      CHECK(e.status() == glide::Status::invalid_argument);
      CHECK_THAT(e.what(), Contains("x_T"));
    }
  }
}

TEST_CASE("noise sources: seeded draws repeat, recorded draws replay and run out", "[samplers]") {
  glide::GeneratorNoise a(0), b(0), c(1);
  const auto first = a.next({2, 3}, torch::kFloat);
  // torch.manual_seed(0); torch.randn(2, 3)
  CHECK(max_abs_diff(
            first, torch::tensor({{1.5410, -0.2934, -2.1788}, {0.5684, -1.0845, -1.3986}})) < 1e-4);
  CHECK(b.next({2, 3}, torch::kFloat).equal(first));
  CHECK(!c.next({2, 3}, torch::kFloat).equal(first));
  CHECK(a.next({4}, torch::kDouble).scalar_type() == torch::kDouble);

  auto recorded = glide::RecordedNoise::from_stacked(torch::arange(12.0).view({2, 2, 3}));
  CHECK(recorded.next({2, 3}, torch::kFloat).equal(torch::arange(6.0).view({2, 3})));
  try {
    recorded.next({3, 2}, torch::kFloat);
    FAIL("accepted");
  } catch (const glide::Error& e) {
    CHECK_THAT(e.what(), Contains("[2, 3]") && Contains("[3, 2]"));
  }
  CHECK(recorded.next({2, 3}, torch::kFloat).equal(torch::arange(6.0, 12.0).view({2, 3})));
  try {
    recorded.next({2, 3}, torch::kFloat);
    FAIL("accepted");
  } catch (const glide::Error& e) {
    CHECK_THAT(e.what(), Contains("2 draws"));
  }
}

// Exact answer for Gaussian data: the probability-flow ODE keeps
// z = (x − α·mean) / sqrt(α² std² + σ²) constant from the first kept timestep to the last, whose
// x_0 prediction E[x_0 | x] every sampler returns.
TEST_CASE("dpm++2m converges at second order and approaches many-step ddim", "[samplers]") {
  const double std = 0.5;
  GaussianData data("squaredcos_cap_v2", channel_values({0.2, -0.1, 0.0}, torch::kDouble), std,
                    0.0);
  const auto x_T = randn({4, 3, 2, 2}, 6, torch::kDouble);
  ZeroNoise zeros;
  glide::SampleOptions options;
  options.clip_denoised = false;
  auto run = [&](const std::string& sampler, const std::string& respacing) {
    const auto diffusion = GaussianDiffusion::from_config({1000, "squaredcos_cap_v2", respacing});
    return glide::make_sampler(sampler)->sample(diffusion, data.fn(), x_T, zeros, options);
  };
  auto error = [&](const std::string& sampler, const std::string& respacing) {
    const auto d = GaussianDiffusion::from_config({1000, "squaredcos_cap_v2", respacing});
    const double ab_T = d.alphas_cumprod().back(), ab_0 = d.alphas_cumprod().front();
    const auto& m = data.mean;
    const auto z = (x_T - std::sqrt(ab_T) * m) / std::sqrt(ab_T * std * std + 1 - ab_T);
    const auto x_t0 = std::sqrt(ab_0) * m + std::sqrt(ab_0 * std * std + 1 - ab_0) * z;
    const auto exact = m + std::sqrt(ab_0) * std * std / (ab_0 * std * std + 1 - ab_0) *
                               (x_t0 - std::sqrt(ab_0) * m);
    return max_abs_diff(run(sampler, respacing), exact);
  };
  std::vector<double> dpm, ddim;
  for (const std::string n : {"10", "20", "50", "100", "250"}) {
    dpm.push_back(error("dpm++2m", n));
    ddim.push_back(error("ddim", n));
    INFO(n << " steps: dpm++2m error " << dpm.back() << ", ddim error " << ddim.back());
    CHECK(dpm.back() < ddim.back() / 2);
  }
  for (size_t i = 1; i < dpm.size(); ++i) CHECK(dpm[i] < dpm[i - 1]);
  CHECK(dpm[3] / dpm[4] > 4.0);    // second order: 2.5x the steps, ~6x less error
  CHECK(ddim[3] / ddim[4] < 3.0);  // first order: ~2.5x
  CHECK(max_abs_diff(run("dpm++2m", "100"), run("ddim", "")) < 3e-3);
}

TEST_CASE("euler_a is ddim with the same eta; dpm++2m_sde with eta 0 is dpm++2m", "[samplers]") {
  const auto diffusion = GaussianDiffusion::from_config({1000, "squaredcos_cap_v2", "25"});
  GaussianData data("squaredcos_cap_v2", channel_values({0.3, 0.0, -0.6}, torch::kDouble), 0.4,
                    0.3);
  const auto x_T = randn({2, 3, 4, 4}, 12, torch::kDouble);
  for (const double eta : {0.0, 0.5, 1.0}) {
    INFO("eta " << eta);
    glide::GeneratorNoise a(5), b(5);
    const auto euler = glide::make_sampler("euler_a", {eta})->sample(diffusion, data.fn(), x_T, a);
    const auto ddim = glide::make_sampler("ddim", {eta})->sample(diffusion, data.fn(), x_T, b);
    CHECK(max_abs_diff(euler, ddim) < 1e-10);
  }
  glide::GeneratorNoise a(5), b(5), c(5);
  const auto by_default = glide::make_sampler("euler_a")->sample(diffusion, data.fn(), x_T, a);
  const auto ddpm_like = glide::make_sampler("ddim", {1.0})->sample(diffusion, data.fn(), x_T, b);
  CHECK(max_abs_diff(by_default, ddpm_like) < 1e-10);
  const auto more = glide::make_sampler("euler_a", {1.5})->sample(diffusion, data.fn(), x_T, c);
  CHECK(max_abs_diff(more, by_default) > 1e-3);

  ZeroNoise zeros;
  glide::GeneratorNoise seeded(8), seeded_again(8);
  const auto ode = glide::make_sampler("dpm++2m")->sample(diffusion, data.fn(), x_T, zeros);
  const auto sde0 =
      glide::make_sampler("dpm++2m_sde", {0.0})->sample(diffusion, data.fn(), x_T, seeded);
  CHECK(max_abs_diff(ode, sde0) < 1e-12);
  const auto sde = glide::make_sampler("dpm++2m_sde")->sample(diffusion, data.fn(), x_T, seeded);
  CHECK(max_abs_diff(ode, sde) > 1e-3);
}

namespace {

// x_0 of the probability-flow ODE for Gaussian data, exactly: z = (x − α·mean) /
// sqrt(α² std² + σ²) is constant from the first kept timestep to the last, whose E[x_0 | x] every
// sampler returns.
torch::Tensor exact_ode_x0(const GaussianDiffusion& d, const torch::Tensor& mean, double std,
                           const torch::Tensor& x_T) {
  const double ab_T = d.alphas_cumprod().back(), ab_0 = d.alphas_cumprod().front();
  const double var = std * std;
  const auto z = (x_T - std::sqrt(ab_T) * mean) / std::sqrt(ab_T * var + 1 - ab_T);
  const auto x_t0 = std::sqrt(ab_0) * mean + std::sqrt(ab_0 * var + 1 - ab_0) * z;
  return mean + std::sqrt(ab_0) * var / (ab_0 * var + 1 - ab_0) * (x_t0 - std::sqrt(ab_0) * mean);
}

}  // namespace

TEST_CASE("heun converges at second order on Gaussian data", "[samplers]") {
  const double std = 0.5;
  GaussianData data("squaredcos_cap_v2", channel_values({0.2, -0.1, 0.0}, torch::kDouble), std,
                    0.0);
  const auto x_T = randn({4, 3, 2, 2}, 6, torch::kDouble);
  ZeroNoise zeros;
  glide::SampleOptions options;
  options.clip_denoised = false;
  auto error = [&](const std::string& sampler, const std::string& respacing) {
    const auto d = GaussianDiffusion::from_config({1000, "squaredcos_cap_v2", respacing});
    const auto x0 = glide::make_sampler(sampler)->sample(d, data.fn(), x_T, zeros, options);
    return max_abs_diff(x0, exact_ode_x0(d, data.mean, std, x_T));
  };
  const std::vector<std::string> steps = {"10", "20", "50", "100", "250"};
  std::vector<double> heun, ddim;
  for (size_t i = 0; i < steps.size(); ++i) {
    heun.push_back(error("heun", steps[i]));
    ddim.push_back(error("ddim", steps[i]));
    INFO(steps[i] << " steps: heun error " << heun.back() << ", ddim error " << ddim.back());
    CHECK(heun.back() < ddim.back() / 2);
    if (i > 0) CHECK(heun[i] < heun[i - 1]);
  }
  CHECK(heun[3] / heun[4] > 4.0);  // second order: 2.5x the steps, ~6x less error
}

// With the noise of one Brownian path (support/brownian_noise.hpp), a stochastic sampler's result
// approaches DDIM with eta 1 (DDPM with the posterior variance) at 1000 steps, as an ODE sampler's
// approaches the ODE's solution.
TEST_CASE("stochastic samplers converge along one Brownian path on Gaussian data", "[samplers]") {
  GaussianData data("squaredcos_cap_v2", channel_values({0.2, -0.1, 0.0}, torch::kDouble), 0.5,
                    0.0);
  const std::vector<int64_t> shape = {4, 3, 2, 2};
  const auto x_T = randn(shape, 6, torch::kDouble);
  const auto base = GaussianDiffusion::from_config({1000, "squaredcos_cap_v2", ""});
  const glide::test::BrownianPath path(base, shape, 21);
  glide::SampleOptions options;
  options.clip_denoised = false;
  auto run = [&](const std::string& sampler, const std::string& respacing) {
    const auto d = GaussianDiffusion::from_config({1000, "squaredcos_cap_v2", respacing});
    glide::RecordedNoise noise(path.draws_for(d));
    const auto x0 = glide::make_sampler(sampler, {1.0})->sample(d, data.fn(), x_T, noise, options);
    CHECK(noise.used() == noise.size());
    return x0;
  };
  const auto reference = run("ddim", "");
  for (const std::string sampler : {"euler_a", "dpm++2m_sde"}) {
    std::vector<double> errors;
    for (const std::string steps : {"10", "25", "50", "100", "250"}) {
      errors.push_back(max_abs_diff(run(sampler, steps), reference));
      INFO(sampler << " at " << steps << " steps: error " << errors.back());
      if (errors.size() > 1) CHECK(errors.back() < errors[errors.size() - 2]);
    }
    CHECK(errors.back() < errors.front() / 10);
  }
}

TEST_CASE("dpm++2m_sde samples Gaussian data with the right mean and spread", "[samplers]") {
  const auto diffusion = GaussianDiffusion::from_config({1000, "squaredcos_cap_v2", "25"});
  GaussianData data("squaredcos_cap_v2", channel_values({0.2}, torch::kDouble), 0.3, 0.0);
  const auto x_T = randn({20000, 1, 1, 1}, 8, torch::kDouble);
  for (const double eta : {1.0, 0.5}) {
    INFO("eta " << eta);
    glide::GeneratorNoise noise(9);
    const auto x0 =
        glide::make_sampler("dpm++2m_sde", {eta})->sample(diffusion, data.fn(), x_T, noise);
    CHECK(x0.mean().item<double>() == Approx(0.2).margin(0.01));
    CHECK(x0.std().item<double>() == Approx(0.3).epsilon(0.05));
  }
}

// Prints docs/samplers.md's Gaussian-data table: test_samplers "[samplers-table]".
TEST_CASE("print the Gaussian-data convergence table", "[.samplers-table]") {
  const double std = 0.5;
  GaussianData data("squaredcos_cap_v2", channel_values({0.2, -0.1, 0.0}, torch::kDouble), std,
                    0.0);
  const std::vector<int64_t> shape = {4, 3, 2, 2};
  const auto x_T = randn(shape, 6, torch::kDouble);
  const auto base = GaussianDiffusion::from_config({1000, "squaredcos_cap_v2", ""});
  const glide::test::BrownianPath path(base, shape, 21);
  glide::SampleOptions options;
  options.clip_denoised = false;
  const std::vector<std::string> steps = {"10", "25", "50", "100"};
  auto run = [&](const std::string& sampler, const std::string& respacing, bool stochastic) {
    const auto d = GaussianDiffusion::from_config({1000, "squaredcos_cap_v2", respacing});
    if (!stochastic) {
      ZeroNoise zeros;
      return glide::make_sampler(sampler)->sample(d, data.fn(), x_T, zeros, options);
    }
    glide::RecordedNoise noise(path.draws_for(d));
    return glide::make_sampler(sampler, {1.0})->sample(d, data.fn(), x_T, noise, options);
  };
  std::cout << "| sampler | " << steps[0] << " | " << steps[1] << " | " << steps[2] << " | "
            << steps[3] << " |\n";
  for (const std::string sampler : {"ddim", "dpm++2m", "heun", "euler_a", "dpm++2m_sde"}) {
    const bool stochastic = sampler == "euler_a" || sampler == "dpm++2m_sde";
    const auto sde_reference = run("ddim", "", true);
    std::cout << "| " << sampler;
    for (const auto& n : steps) {
      const auto d = GaussianDiffusion::from_config({1000, "squaredcos_cap_v2", n});
      const auto reference = stochastic ? sde_reference : exact_ode_x0(d, data.mean, std, x_T);
      std::cout << " | " << max_abs_diff(run(sampler, n, stochastic), reference);
    }
    std::cout << " |\n";
  }
  CHECK(true);
}
