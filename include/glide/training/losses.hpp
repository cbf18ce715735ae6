#pragma once

#include <torch/types.h>

#include "glide/diffusion/gaussian_diffusion.hpp"

namespace glide::training {

// Per-example terms of GLIDE's training objective for learned-range-variance models, the hybrid
// loss of improved DDPM (Nichol & Dhariwal 2021, sec. 3.1): L_simple + λ·L_vlb with λ = 0.001.
// L_vlb sums T per-step terms, so with uniformly drawn t its estimate is T·L_t and λ·T·L_t = L_t
// for T = 1000; the vb term is therefore L_t itself, scaled by T / 1000 for other process lengths.
struct DiffusionLoss {
  torch::Tensor loss;  // (B) mse + vb
  torch::Tensor mse;  // (B) mean over pixels of (eps − eps_θ)², or (v − v_θ)² when predicting v
  torch::Tensor vb;  // (B) L_t in bits per dimension, with eps_θ frozen so it only trains Σ_θ
};

// model_output: (B, 6, H, W) network output at x_t (eps, or v when `predicts_v`, then the
// variance interpolation); x_start, noise: (B, 3, H, W) with x_t = q_sample(x_start, t, noise);
// t: int64 (B) indices of `diffusion` (not respaced). With v-prediction the MSE is on v, which
// weighs the eps error by 1/ᾱ_t = 1 + 1/SNR(t) (Salimans & Ho 2022, sec. 4).
DiffusionLoss diffusion_loss(const GaussianDiffusion& diffusion, const torch::Tensor& model_output,
                             const torch::Tensor& x_start, const torch::Tensor& x_t,
                             const torch::Tensor& t, const torch::Tensor& noise,
                             bool predicts_v = false);

// Per-example weights min(max(1, 1/SNR(t)), cap) for the eps MSE, SNR(t) = ᾱ_t / (1 − ᾱ_t).
// Since ‖eps − eps_θ‖² = SNR(t)·‖x0 − x0_θ‖², a weight of 1/SNR where the SNR is below 1 makes the
// loss the error of the predicted image (the truncated-SNR weighting of Salimans & Ho 2022,
// sec. 4), capped at `cap`. Under eps-MSE the nearly pure-noise steps, where a prompt or a low-res
// image is all that tells the colors apart, weigh almost nothing: the shapes models need more
// weight there to learn their conditioning in a short run. cap = 1 gives all ones (GLIDE's loss).
torch::Tensor x0_error_weight(const GaussianDiffusion& diffusion, const torch::Tensor& t,
                              double cap);

// KL(N(mean1, e^logvar1) ‖ N(mean2, e^logvar2)) elementwise, in nats.
torch::Tensor normal_kl(const torch::Tensor& mean1, const torch::Tensor& logvar1,
                        const torch::Tensor& mean2, const torch::Tensor& logvar2);

// log-likelihood (nats, elementwise) of 8-bit data x in [-1, 1] under a Gaussian discretized to
// bins of width 2/255, with open-ended first and last bins (Ho et al. 2020, sec. 3.3).
torch::Tensor discretized_gaussian_log_likelihood(const torch::Tensor& x, const torch::Tensor& mean,
                                                  const torch::Tensor& log_scale);

}  // namespace glide::training
