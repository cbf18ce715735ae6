#pragma once

#include <torch/types.h>

#include <functional>

#include "glide/samplers/sampler.hpp"

namespace glide::detail {

// One reverse step at respaced index `index` (`t` holds it once per sample); returns the new x.
using StepFn =
    std::function<torch::Tensor(const torch::Tensor& x, const torch::Tensor& t, int64_t index)>;

// Checks x_T and the denoise function, then runs `step` at indices K-1..0, reporting progress
// after each step and stopping with Status::cancelled when the callback returns false.
torch::Tensor run_reverse_loop(const char* sampler, const GaussianDiffusion& diffusion,
                               const DenoiseFn& denoise_fn, torch::Tensor x_T,
                               const SampleOptions& options, const StepFn& step);

// (t != 0) as x's dtype, shaped to broadcast over x: no noise is added at the last step.
torch::Tensor nonzero_mask(const torch::Tensor& t, const torch::Tensor& x);

// Rejects params a sampler does not use: an eta other than unset or 0.
void require_default_eta(const char* sampler, const SamplerParams& params);

// params.eta, or `fallback` when unset; glide::Error(invalid_argument) outside [0, 1].
double eta_in_unit_range(const char* sampler, const SamplerParams& params, double fallback);

}  // namespace glide::detail
