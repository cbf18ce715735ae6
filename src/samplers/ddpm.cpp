// Ancestral sampling (Ho et al. 2020, Algorithm 2) with the learned variance.
#include <ATen/ATen.h>

#include "samplers/loop.hpp"

namespace glide::detail {
namespace {

class DdpmSampler : public Sampler {
 public:
  std::string name() const override { return "ddpm"; }

  torch::Tensor sample(const GaussianDiffusion& diffusion, const DenoiseFn& denoise_fn,
                       torch::Tensor x_T, NoiseSource& noise,
                       const SampleOptions& options) const override {
    const StepFn step = [&](const torch::Tensor& x, const torch::Tensor& t, int64_t) {
      const MeanVariance out =
          diffusion.p_mean_variance(denoise_fn, x, t, options.clip_denoised, options.denoised_fn);
      // Drawn at every step, the last included, so a seed consumes the generator as the
      // reference does.
      const torch::Tensor z = noise.next(x.sizes(), x.options());
      return out.mean + nonzero_mask(t, x) * at::exp(0.5 * out.log_variance) * z;
    };
    return run_reverse_loop("ddpm", diffusion, denoise_fn, std::move(x_T), options, step);
  }
};

}  // namespace

std::unique_ptr<Sampler> make_ddpm_sampler(const SamplerParams& params) {
  require_default_eta("ddpm", params);
  return std::make_unique<DdpmSampler>();
}

}  // namespace glide::detail
