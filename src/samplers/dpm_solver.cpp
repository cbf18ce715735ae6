// DPM-Solver++(2M): the multistep second-order solver of the probability-flow ODE in its
// data-prediction form (Lu et al. 2022, "DPM-Solver++", Algorithm 2), on the diffusion's own
// (respaced) discrete timesteps, with λ = log(α / σ), α² = ᾱ, σ² = 1 − ᾱ.
//
// GLIDE predicts eps and a learned variance; an ODE solver needs neither the variance nor noise,
// only x_0 = (x − σ·eps) / α, taken from p_mean_variance so that denoised_fn (inpainting,
// thresholding) and clipping apply as in the other samplers.
//
// The cosine schedule's end: in continuous time ᾱ(T) = 0, so λ(t) → −∞ as t → T and the first
// step would be infinitely long; DPM-Solver's authors therefore stop the cosine schedule at
// T = 0.9946 and clip λ. Here the network is only evaluated at its trained discrete timesteps,
// where the 0.999 cap on β keeps ᾱ > 0: λ is finite (≈ −9.9 at t = 999, −6.5 at t = 998, the
// cap's jump). A long first step is harmless in the data-prediction form, where h enters only
// through e^(−h) ∈ (0, 1); the noise-prediction form's e^h − 1 would amplify errors in eps.
// Respacings that drop the noisiest steps (fast27 ends at 997) play the truncation's part.
#include <ATen/ATen.h>

#include <cmath>

#include "samplers/dpm_multistep.hpp"
#include "samplers/loop.hpp"

namespace glide::detail {
namespace {

class DpmSolverPP2M : public Sampler {
 public:
  std::string name() const override { return "dpm++2m"; }

  torch::Tensor sample(const GaussianDiffusion& diffusion, const DenoiseFn& denoise_fn,
                       torch::Tensor x_T, NoiseSource& /*noise: deterministic*/,
                       const SampleOptions& options) const override {
    MultistepX0 multistep;
    const StepFn step = [&](const torch::Tensor& x, const torch::Tensor& t, int64_t index) {
      const torch::Tensor x0 =
          diffusion.p_mean_variance(denoise_fn, x, t, options.clip_denoised, options.denoised_fn)
              .pred_xstart;
      const double ab_s = diffusion.alphas_cumprod()[index];
      const double ab_t = diffusion.alphas_cumprod_prev()[index];
      // The last step lands on σ = 0, where λ is infinite: the first-order update is x_0.
      if (ab_t >= 1.0) return x0;
      const double h = log_snr(ab_t) - log_snr(ab_s);
      const double sigma_ratio = std::sqrt((1.0 - ab_t) / (1.0 - ab_s));
      const double alpha_t = std::sqrt(ab_t);
      const torch::Tensor d = multistep.next(x0, h, index);
      return sigma_ratio * x - (alpha_t * std::expm1(-h)) * d;
    };
    return run_reverse_loop("dpm++2m", diffusion, denoise_fn, std::move(x_T), options, step);
  }
};

}  // namespace

std::unique_ptr<Sampler> make_dpmpp_2m_sampler(const SamplerParams& params) {
  require_default_eta("dpm++2m", params);
  return std::make_unique<DpmSolverPP2M>();
}

}  // namespace glide::detail
