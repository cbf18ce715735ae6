// SDE-DPM-Solver++(2M): the second-order multistep solver of the reverse diffusion SDE in its
// data-prediction form (Lu et al. 2022, "DPM-Solver++", whose SDE variants these are; the
// derivation is restated here), on the diffusion's own (respaced) discrete timesteps, with
// λ = log(α / σ), α² = ᾱ, σ² = 1 − ᾱ.
//
// The family of reverse SDEs that keep the marginals, dx = [f·x − (1 + η)/2·g²·∇log p] dt
// + sqrt(η)·g dw̄ (η = 0: the probability-flow ODE; η = 1: Anderson's reverse SDE; Song et al.
// 2021, "Score-Based Generative Modeling through SDEs", eq. 6 and 13), has, with
// ∇log p = −(x − α·x_0) / σ² and x_0 held at D over a step of length h = λ_t − λ_s, the exact
// solution (variation of constants, integrating factor α·e^(−(1+η)λ)):
//   x_t = (σ_t/σ_s)·e^(−ηh)·x_s + α_t·(1 − e^(−(1+η)h))·D + σ_t·sqrt(1 − e^(−2ηh))·z.
// The second order comes from D = x0_s + (x0_s − x0_prev) / (2r), r = h_prev / h, as in the ODE
// solver (dpm_solver.cpp); η = 0 is dpm++2m exactly, and η = 1 with D = x0_s is DDPM with the
// posterior variance. The last step lands on σ = 0 and returns x_0; the step before it stays
// first order, as in dpm++2m. The cosine schedule's end needs nothing more than there: e^(−ηh)
// and e^(−(1+η)h) lie in (0, 1] however long the first step is.
//
// Cost: 1 network evaluation and 1 noise draw per step, the last step included.
#include <ATen/ATen.h>

#include <cmath>

#include "samplers/dpm_multistep.hpp"
#include "samplers/loop.hpp"

namespace glide::detail {
namespace {

class DpmSolverPP2MSde : public Sampler {
 public:
  explicit DpmSolverPP2MSde(double eta) : eta_(eta) {}
  std::string name() const override { return "dpm++2m_sde"; }

  torch::Tensor sample(const GaussianDiffusion& diffusion, const DenoiseFn& denoise_fn,
                       torch::Tensor x_T, NoiseSource& noise,
                       const SampleOptions& options) const override {
    MultistepX0 multistep;
    const StepFn step = [&](const torch::Tensor& x, const torch::Tensor& t, int64_t index) {
      const torch::Tensor x0 =
          diffusion.p_mean_variance(denoise_fn, x, t, options.clip_denoised, options.denoised_fn)
              .pred_xstart;
      const torch::Tensor z = noise.next(x.sizes(), x.options());
      const double ab_s = diffusion.alphas_cumprod()[index];
      const double ab_t = diffusion.alphas_cumprod_prev()[index];
      if (ab_t >= 1.0) return x0;
      const double h = log_snr(ab_t) - log_snr(ab_s);
      const double sigma_s = std::sqrt(1.0 - ab_s);
      const double sigma_t = std::sqrt(1.0 - ab_t);
      const double alpha_t = std::sqrt(ab_t);
      const torch::Tensor d = multistep.next(x0, h, index);
      const double x_coef = sigma_t / sigma_s * std::exp(-eta_ * h);
      const double d_coef = -alpha_t * std::expm1(-(1.0 + eta_) * h);
      const double z_coef = sigma_t * std::sqrt(-std::expm1(-2.0 * eta_ * h));
      return x_coef * x + d_coef * d + z_coef * z;
    };
    return run_reverse_loop("dpm++2m_sde", diffusion, denoise_fn, std::move(x_T), options, step);
  }

 private:
  double eta_;
};

}  // namespace

std::unique_ptr<Sampler> make_dpmpp_2m_sde_sampler(const SamplerParams& params) {
  return std::make_unique<DpmSolverPP2MSde>(eta_in_unit_range("dpm++2m_sde", params, 1.0));
}

}  // namespace glide::detail
