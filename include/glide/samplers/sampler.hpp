#pragma once

#include <torch/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "glide/diffusion/denoise_fn.hpp"
#include "glide/diffusion/gaussian_diffusion.hpp"
#include "glide/samplers/noise.hpp"

namespace glide {

// Called after each step with the number of steps done and the total; returning false stops
// sampling with glide::Error(Status::cancelled).
using ProgressFn = std::function<bool(int64_t step, int64_t total)>;

struct SampleOptions {
  bool clip_denoised = true;  // clip each predicted x_0 to [-1, 1]
  DenoisedFn denoised_fn;     // applied to each predicted x_0 before clipping; may be empty
  ProgressFn progress;        // may be empty
};

// What a sampler is created with. Options a sampler does not use must stay unset (or 0).
struct SamplerParams {
  // The stochastic samplers' noise scale; unset means the sampler's own default. ddim: 0
  // (deterministic) .. 1 (DDPM's posterior variance, Song et al. 2021 eq. 16), default 0.
  // euler_a and dpm++2m_sde: 0 is their ODE, default 1 (see docs/samplers.md). The other samplers
  // accept only unset or 0.
  std::optional<double> eta;
};

// Runs a reverse process through every index of a (respaced) diffusion, K-1 down to 0. Samplers
// hold no state between calls; one instance may be used from several threads. Gradients are
// the caller's business: run under torch::InferenceMode unless they are wanted.
class Sampler {
 public:
  virtual ~Sampler() = default;
  virtual std::string name() const = 0;
  // x_T: floating point, batch first. Returns x_0 of the same shape.
  virtual torch::Tensor sample(const GaussianDiffusion& diffusion, const DenoiseFn& denoise_fn,
                               torch::Tensor x_T, NoiseSource& noise,
                               const SampleOptions& options = {}) const = 0;
};

// The registered samplers by name: "ddpm", "ddim", "dpm++2m", "heun", "euler_a", "dpm++2m_sde"
// (docs/samplers.md says which to use at which step count). Throws glide::Error(not_found)
// listing the names for an unknown one, and (invalid_argument) for params it cannot use.
std::unique_ptr<Sampler> make_sampler(const std::string& name, const SamplerParams& params = {});
std::vector<std::string> sampler_names();

}  // namespace glide
