// GLIDE's training objective: the Gaussian KL, the discretized decoder likelihood, and the hybrid
// loss's two terms at their known minima.
#include <cmath>

#include "glide/diffusion/gaussian_diffusion.hpp"
#include "glide/diffusion/schedule.hpp"
#include "glide/error.hpp"
#include "glide/training/losses.hpp"
#include "support/catch_torch.hpp"

using namespace glide;

TEST_CASE("normal_kl matches the closed form", "[training][losses]") {
  const auto scalar = [](double v) { return torch::full({1}, v, torch::kFloat64); };
  // KL(N(0, 1) || N(0, 1)) = 0.
  CHECK(training::normal_kl(scalar(0), scalar(0), scalar(0), scalar(0)).item<double>() ==
        Approx(0.0).margin(1e-12));
  // KL(N(μ1, σ1²) || N(μ2, σ2²)) = log(σ2/σ1) + (σ1² + (μ1 − μ2)²) / (2σ2²) − 1/2.
  const double m1 = 0.3, s1 = 0.5, m2 = -0.2, s2 = 1.5;
  const double expected =
      std::log(s2 / s1) + (s1 * s1 + (m1 - m2) * (m1 - m2)) / (2 * s2 * s2) - 0.5;
  const double got = training::normal_kl(scalar(m1), scalar(2 * std::log(s1)), scalar(m2),
                                         scalar(2 * std::log(s2)))
                         .item<double>();
  CHECK(got == Approx(expected).epsilon(1e-12));
}

TEST_CASE("the discretized Gaussian is a distribution over the 256 pixel values",
          "[training][losses]") {
  // Bin centres of 8-bit data in [-1, 1]; the first and last bins are open-ended, so the
  // probabilities sum to one for any mean and scale (up to the tanh CDF approximation).
  const torch::Tensor x = torch::arange(256, torch::kFloat64) / 127.5 - 1.0;
  for (double mean : {-0.9, 0.0, 0.4}) {
    for (double log_scale : {-4.0, -2.0, 0.0}) {
      const torch::Tensor ll = training::discretized_gaussian_log_likelihood(
          x, torch::full_like(x, mean), torch::full_like(x, log_scale));
      INFO("mean " << mean << " log_scale " << log_scale);
      CHECK(ll.exp().sum().item<double>() == Approx(1.0).margin(2e-3));
    }
  }
  // A narrow Gaussian on a bin centre puts nearly all its mass there.
  const torch::Tensor centre = torch::full({1}, 10 / 127.5 - 1.0, torch::kFloat64);
  const double ll =
      training::discretized_gaussian_log_likelihood(centre, centre, torch::full_like(centre, -9.0))
          .item<double>();
  CHECK(ll == Approx(0.0).margin(1e-6));
}

TEST_CASE("the hybrid loss vanishes for the true noise and the posterior variance",
          "[training][losses]") {
  const GaussianDiffusion diffusion(named_beta_schedule("squaredcos_cap_v2", 1000));
  torch::manual_seed(0);
  const torch::Tensor x0 = torch::rand({4, 3, 8, 8}) * 2 - 1;
  const torch::Tensor noise = torch::randn({4, 3, 8, 8});
  const torch::Tensor t = torch::tensor({5, 100, 500, 999}, torch::kLong);
  const torch::Tensor x_t = diffusion.q_sample(x0, t, noise);
  // v = −1 selects log β̃_t, the true posterior's variance, so the KL term is zero too.
  const torch::Tensor perfect = torch::cat({noise, -torch::ones_like(noise)}, 1);
  const auto best = training::diffusion_loss(diffusion, perfect, x0, x_t, t, noise);
  CHECK(best.mse.abs().max().item<double>() < 1e-10);
  CHECK(best.vb.abs().max().item<double>() < 1e-4);

  // Wrong noise raises the MSE by its squared error; the other variance end raises the KL.
  const torch::Tensor wrong = torch::cat({noise + 0.5, torch::ones_like(noise)}, 1);
  const auto worse = training::diffusion_loss(diffusion, wrong, x0, x_t, t, noise);
  CHECK(worse.mse.mean().item<double>() == Approx(0.25).epsilon(1e-4));
  CHECK((worse.vb > best.vb).all().item<bool>());
  CHECK(torch::allclose(worse.loss, worse.mse + worse.vb));
}

TEST_CASE("a v-prediction loss is the MSE on v and vanishes for the true v", "[training][losses]") {
  const GaussianDiffusion diffusion(named_beta_schedule("linear", 1000));
  torch::manual_seed(1);
  const torch::Tensor x0 = torch::rand({4, 3, 8, 8}) * 2 - 1;
  const torch::Tensor noise = torch::randn({4, 3, 8, 8});
  const torch::Tensor t = torch::tensor({5, 100, 500, 999}, torch::kLong);
  const torch::Tensor x_t = diffusion.q_sample(x0, t, noise);
  const torch::Tensor v = diffusion.v_target(x0, t, noise);
  const torch::Tensor perfect = torch::cat({v, -torch::ones_like(noise)}, 1);
  const auto best = training::diffusion_loss(diffusion, perfect, x0, x_t, t, noise, true);
  CHECK(best.mse.abs().max().item<double>() < 1e-10);
  // The vb term sees the eps implied by v: the true noise, so the posterior matches too.
  CHECK(best.vb.abs().max().item<double>() < 1e-3);
  // Read as eps, the same output is wrong where v and eps differ, at high noise (v ≈ −x0 at
  // t = 999); an error of 0.5 in v costs 0.25.
  const auto as_eps = training::diffusion_loss(diffusion, perfect, x0, x_t, t, noise);
  CHECK(as_eps.mse[3].item<double>() > 0.1);
  const torch::Tensor off = torch::cat({v + 0.5, -torch::ones_like(noise)}, 1);
  CHECK(
      training::diffusion_loss(diffusion, off, x0, x_t, t, noise, true).mse.mean().item<double>() ==
      Approx(0.25).epsilon(1e-4));
}

TEST_CASE("the vb term only trains the variance channels", "[training][losses]") {
  const GaussianDiffusion diffusion(named_beta_schedule("linear", 1000));
  torch::manual_seed(1);
  const torch::Tensor x0 = torch::rand({2, 3, 4, 4}) * 2 - 1;
  const torch::Tensor noise = torch::randn({2, 3, 4, 4});
  const torch::Tensor t = torch::tensor({0, 300}, torch::kLong);
  const torch::Tensor x_t = diffusion.q_sample(x0, t, noise);
  const torch::Tensor out = torch::randn({2, 6, 4, 4}).requires_grad_(true);
  training::diffusion_loss(diffusion, out, x0, x_t, t, noise).vb.sum().backward();
  const torch::Tensor grad = out.grad();
  CHECK(grad.slice(1, 0, 3).abs().max().item<double>() == 0.0);
  CHECK(grad.slice(1, 3, 6).abs().max().item<double>() > 0.0);
}

TEST_CASE("diffusion_loss rejects a model output of the wrong shape", "[training][losses]") {
  const GaussianDiffusion diffusion(named_beta_schedule("linear", 1000));
  const torch::Tensor x = torch::zeros({1, 3, 4, 4});
  const torch::Tensor t = torch::zeros({1}, torch::kLong);
  CHECK_THROWS_AS(training::diffusion_loss(diffusion, torch::zeros({1, 3, 4, 4}), x, x, t, x),
                  glide::Error);
}

TEST_CASE("x0_error_weight is 1/SNR between 1 and the cap", "[training][losses]") {
  const GaussianDiffusion diffusion(named_beta_schedule("squaredcos_cap_v2", 1000));
  const auto& abar = diffusion.alphas_cumprod();
  const torch::Tensor t = torch::arange(1000, torch::kLong);
  // cap 1 is GLIDE's loss: every weight is 1.
  CHECK(torch::equal(training::x0_error_weight(diffusion, t, 1.0), torch::ones({1000})));
  const torch::Tensor w = training::x0_error_weight(diffusion, t, 20.0);
  int below = 0, between = 0, capped = 0;
  for (int64_t i = 0; i < 1000; ++i) {
    const double snr = abar[static_cast<size_t>(i)] / (1.0 - abar[static_cast<size_t>(i)]);
    const double weight = w[i].item<double>();
    if (snr >= 1.0) {
      CHECK(weight == 1.0);  // low noise: the plain eps MSE
      ++below;
    } else if (1.0 / snr <= 20.0) {
      CHECK(weight == Approx(1.0 / snr).epsilon(1e-6));  // the predicted image's squared error
      ++between;
    } else {
      CHECK(weight == 20.0);
      ++capped;
    }
  }
  // The cosine schedule crosses SNR 1 near the middle and 1/20 near the end: all three occur.
  CHECK(below > 300);
  CHECK(between > 100);
  CHECK(capped > 10);
  CHECK_THROWS_AS(training::x0_error_weight(diffusion, t, 0.5), glide::Error);
}
