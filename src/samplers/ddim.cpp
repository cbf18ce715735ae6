// Denoising diffusion implicit models (Song et al. 2021, eq. 12 and 16).
#include <ATen/ATen.h>
#include <fmt/format.h>

#include "glide/error.hpp"
#include "samplers/loop.hpp"

namespace glide::detail {
namespace {

class DdimSampler : public Sampler {
 public:
  explicit DdimSampler(double eta) : eta_(eta) {}
  std::string name() const override { return "ddim"; }

  torch::Tensor sample(const GaussianDiffusion& diffusion, const DenoiseFn& denoise_fn,
                       torch::Tensor x_T, NoiseSource& noise,
                       const SampleOptions& options) const override {
    const StepFn step = [&](const torch::Tensor& x, const torch::Tensor& t, int64_t) {
      const MeanVariance out =
          diffusion.p_mean_variance(denoise_fn, x, t, options.clip_denoised, options.denoised_fn);
      // eps consistent with the (possibly clipped or replaced) x_0.
      const torch::Tensor eps = diffusion.predict_eps_from_xstart(x, t, out.pred_xstart);
      const torch::Tensor alpha_bar = diffusion.extract(diffusion.alphas_cumprod(), t, x);
      const torch::Tensor alpha_bar_prev = diffusion.extract(diffusion.alphas_cumprod_prev(), t, x);
      const torch::Tensor sigma = eta_ * at::sqrt((1 - alpha_bar_prev) / (1 - alpha_bar)) *
                                  at::sqrt(1 - alpha_bar / alpha_bar_prev);
      // Drawn even when eta is 0, as the reference does, to keep seeded streams aligned.
      const torch::Tensor z = noise.next(x.sizes(), x.options());
      // At eta 1, 1 - ᾱ_prev - σ² = ᾱ(1 - ᾱ_prev)² / (ᾱ_prev(1 - ᾱ)): about 3e-8 for a step
      // from t = 999 (ᾱ ≈ 2e-9) to t ≈ 500, under float32's resolution near 1, so it rounded to
      // zero or below and the square root made NaN images.
      const torch::Tensor direction = at::clamp_min(1 - alpha_bar_prev - sigma * sigma, 0);
      const torch::Tensor mean_pred =
          out.pred_xstart * at::sqrt(alpha_bar_prev) + at::sqrt(direction) * eps;
      return mean_pred + nonzero_mask(t, x) * sigma * z;
    };
    return run_reverse_loop("ddim", diffusion, denoise_fn, std::move(x_T), options, step);
  }

 private:
  double eta_;
};

}  // namespace

std::unique_ptr<Sampler> make_ddim_sampler(const SamplerParams& params) {
  // Beyond 1, sigma^2 can exceed 1 - ᾱ_prev and the direction term's square root fails.
  const double eta = params.eta.value_or(0.0);
  if (!(eta >= 0.0 && eta <= 1.0)) {
    throw Error(Status::invalid_argument,
                fmt::format("ddim eta is {}; it must lie in [0, 1] (0: deterministic, 1: DDPM's "
                            "posterior variance)",
                            eta));
  }
  return std::make_unique<DdimSampler>(eta);
}

}  // namespace glide::detail
