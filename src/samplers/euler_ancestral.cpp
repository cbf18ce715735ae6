// Euler ancestral: an Euler step of the probability-flow ODE down to σ_down, then fresh noise up
// to σ_next, in Karras et al. 2022's σ-parameterization (σ = sqrt((1 − ᾱ) / ᾱ), x̃ = x / sqrt(ᾱ)).
// The split is the posterior of the variance-exploding forward process, q(x̃_next | x̃, x_0) =
// N(x_0 + σ_next²/σ·eps, σ_next²(σ² − σ_next²)/σ²) (the ancestral sampler of Song et al. 2021,
// "Score-Based Generative Modeling through SDEs", App. F), with η scaling the noise:
//   σ_up = min(σ_next, η·σ_next·sqrt(σ² − σ_next²) / σ),  σ_down = sqrt(σ_next² − σ_up²),
//   x̃_next = x_0 + σ_down·eps + σ_up·z.
// On a variance-preserving process and η ≤ 1 this is DDIM with eta = η, step for step
// (sqrt(ᾱ_next)·σ_up is DDIM's σ of Song et al. 2021, "DDIM", eq. 16), so η = 1 is DDPM with the
// posterior variance; η > 1 adds more noise, up to re-noising x_0 completely (σ_down = 0).
// docs/samplers.md has the algebra. Cost: 1 network evaluation and 1 noise draw per step, the
// last step included.
#include <ATen/ATen.h>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "glide/error.hpp"
#include "samplers/loop.hpp"

namespace glide::detail {
namespace {

class EulerAncestralSampler : public Sampler {
 public:
  explicit EulerAncestralSampler(double eta) : eta_(eta) {}
  std::string name() const override { return "euler_a"; }

  torch::Tensor sample(const GaussianDiffusion& diffusion, const DenoiseFn& denoise_fn,
                       torch::Tensor x_T, NoiseSource& noise,
                       const SampleOptions& options) const override {
    const StepFn step = [&](const torch::Tensor& x, const torch::Tensor& t, int64_t index) {
      const torch::Tensor x0 =
          diffusion.p_mean_variance(denoise_fn, x, t, options.clip_denoised, options.denoised_fn)
              .pred_xstart;
      const torch::Tensor eps = diffusion.predict_eps_from_xstart(x, t, x0);
      const torch::Tensor z = noise.next(x.sizes(), x.options());
      const double ab_s = diffusion.alphas_cumprod()[index];
      const double ab_t = diffusion.alphas_cumprod_prev()[index];
      if (ab_t >= 1.0) return x0;
      const double sigma_s = std::sqrt((1.0 - ab_s) / ab_s);
      const double sigma_t = std::sqrt((1.0 - ab_t) / ab_t);
      const double sigma_up = std::min(
          sigma_t, eta_ * sigma_t *
                       std::sqrt(std::max(0.0, 1.0 - (sigma_t * sigma_t) / (sigma_s * sigma_s))));
      const double sigma_down = std::sqrt(std::max(0.0, sigma_t * sigma_t - sigma_up * sigma_up));
      const double alpha_t = std::sqrt(ab_t);
      return alpha_t * x0 + (alpha_t * sigma_down) * eps + (alpha_t * sigma_up) * z;
    };
    return run_reverse_loop("euler_a", diffusion, denoise_fn, std::move(x_T), options, step);
  }

 private:
  double eta_;
};

}  // namespace

std::unique_ptr<Sampler> make_euler_ancestral_sampler(const SamplerParams& params) {
  const double eta = params.eta.value_or(1.0);
  if (!(eta >= 0.0 && std::isfinite(eta))) {
    throw Error(Status::invalid_argument,
                fmt::format("euler_a eta is {}; it must be finite and at least 0 (0: the ODE, as "
                            "ddim; 1: DDPM's posterior variance)",
                            eta));
  }
  return std::make_unique<EulerAncestralSampler>(eta);
}

}  // namespace glide::detail
