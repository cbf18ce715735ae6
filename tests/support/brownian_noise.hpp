#pragma once

// Noise that follows one Brownian path whatever the respacing, so that a stochastic sampler's
// result at few steps can be compared with its result at many steps, as an ODE sampler's is.
//
// A first-order step of the reverse SDE from λ_s to λ_t (λ = log(α / σ)) adds
// σ_t·sqrt(1 − e^(−2h))·z, the exact solution's noise α_t·e^(−2λ_t)·√2·∫ e^λ dB(λ) normalized
// (DDIM with eta 1, euler_a and dpm++2m_sde with eta 1 all add it). So z for a step is the sum of
// the independent fine increments I_k = ∫ e^λ dB over the base process's steps it spans, divided
// by the square root of their summed variance ∫ e^(2λ) dλ = (SNR_(k−1) − SNR_k) / 2.

#include <ATen/CPUGeneratorImpl.h>
#include <torch/types.h>

#include <cmath>
#include <vector>

#include "glide/diffusion/gaussian_diffusion.hpp"

namespace glide::test {

// One path's increments on every step of a base process, in float64.
class BrownianPath {
 public:
  BrownianPath(const GaussianDiffusion& base, std::vector<int64_t> shape, uint64_t seed)
      : shape_(std::move(shape)) {
    auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
    const auto& ab = base.alphas_cumprod();
    auto snr = [&](size_t k) { return ab[k] / (1.0 - ab[k]); };
    increments_.emplace_back();  // no step ends below timestep 0
    variances_.push_back(0.0);
    for (size_t k = 1; k < ab.size(); ++k) {
      variances_.push_back(0.5 * (snr(k - 1) - snr(k)));
      increments_.push_back(std::sqrt(variances_.back()) *
                            torch::randn(shape_, gen, torch::kDouble));
    }
  }

  // The draws (for RecordedNoise) a sampler walking `spaced` (a respacing of the base process that
  // keeps timestep 0) makes, in loop order; the last step's is zero (no sampler uses it).
  std::vector<torch::Tensor> draws_for(const GaussianDiffusion& spaced) const {
    const auto& map = spaced.timestep_map();
    std::vector<torch::Tensor> draws;
    for (int64_t i = spaced.num_timesteps() - 1; i >= 1; --i) {
      torch::Tensor sum = torch::zeros(shape_, torch::kDouble);
      double variance = 0.0;
      for (int64_t k = map[i - 1] + 1; k <= map[i]; ++k) {
        sum += increments_[k];
        variance += variances_[k];
      }
      draws.push_back(sum / std::sqrt(variance));
    }
    draws.push_back(torch::zeros(shape_, torch::kDouble));
    return draws;
  }

 private:
  std::vector<int64_t> shape_;
  std::vector<torch::Tensor> increments_;
  std::vector<double> variances_;
};

}  // namespace glide::test
