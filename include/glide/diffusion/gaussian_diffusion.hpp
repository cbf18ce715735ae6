#pragma once

#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "glide/diffusion/denoise_fn.hpp"

namespace glide {

// The diffusion options of a GLIDE model, with the reference's names and defaults.
struct DiffusionConfig {
  int64_t diffusion_steps = 1000;
  std::string noise_schedule = "squaredcos_cap_v2";
  std::string timestep_respacing = "";  // see space_timesteps(); "" keeps every step
  // What the network's first output channels predict (not a reference option): "epsilon", the
  // noise (GLIDE's), or "v" = √ᾱ_t·eps − √(1−ᾱ_t)·x_0 (Salimans & Ho 2022, sec. 4), whose error
  // maps one to one onto x_0's at high noise where eps's is amplified by √(1/ᾱ_t − 1) (about 158×
  // at the linear schedule's last step): small eps-prediction upsamplers shift colors there.
  std::string prediction = "epsilon";

  void validate() const;  // glide::Error(invalid_argument) naming the option
};

// The predicted reverse step p(x_{t-1} | x_t) and x_0, each of x_t's shape.
struct MeanVariance {
  torch::Tensor mean;
  torch::Tensor variance;
  torch::Tensor log_variance;
  torch::Tensor pred_xstart;
};

// A Gaussian diffusion process (Ho et al. 2020), possibly respaced: a subset of a base process's
// timesteps, with betas recomputed so that ᾱ at each kept step is the base process's.
// Samplers walk its indices K-1..0; the network is given timestep_map()[index].
// Tables are float64. Tensors built from them have x's dtype when that is float64, else float32
// (as the reference casts them), on x's device.
class GaussianDiffusion {
 public:
  // Every step of the process with these betas (each in (0, 1]).
  explicit GaussianDiffusion(std::vector<double> betas);
  // The base process restricted to `use_timesteps` (any order, no duplicates, each in range).
  static GaussianDiffusion spaced(const std::vector<double>& base_betas,
                                  const std::vector<int64_t>& use_timesteps);
  static GaussianDiffusion from_config(const DiffusionConfig& config);

  int64_t num_timesteps() const { return static_cast<int64_t>(betas_.size()); }
  int64_t original_num_steps() const { return original_num_steps_; }
  const std::vector<int64_t>& timestep_map() const { return timestep_map_; }

  const std::vector<double>& betas() const { return betas_; }
  const std::vector<double>& alphas_cumprod() const { return alphas_cumprod_; }
  const std::vector<double>& alphas_cumprod_prev() const { return alphas_cumprod_prev_; }
  const std::vector<double>& posterior_variance() const { return posterior_variance_; }
  // log β̃_t, with β̃_0 = 0 replaced by β̃_1 (a single-step process uses log β_0).
  const std::vector<double>& posterior_log_variance_clipped() const {
    return posterior_log_variance_clipped_;
  }

  // The original timesteps (int64, t's device) for respaced indices `t` (int64, shape (B)).
  torch::Tensor original_timesteps(const torch::Tensor& t) const;

  // x_t ~ q(x_t | x_0) with the given noise.
  torch::Tensor q_sample(const torch::Tensor& x_start, const torch::Tensor& t,
                         const torch::Tensor& noise) const;
  // The posterior q(x_{t-1} | x_t, x_0) (Ho et al. 2020, eq. 6-7); pred_xstart is x_start.
  MeanVariance q_posterior_mean_variance(const torch::Tensor& x_start, const torch::Tensor& x_t,
                                         const torch::Tensor& t) const;
  torch::Tensor predict_xstart_from_eps(const torch::Tensor& x_t, const torch::Tensor& t,
                                        const torch::Tensor& eps) const;
  torch::Tensor predict_eps_from_xstart(const torch::Tensor& x_t, const torch::Tensor& t,
                                        const torch::Tensor& pred_xstart) const;
  // v-prediction: the training target v = √ᾱ_t·noise − √(1−ᾱ_t)·x_0, and the eps a predicted v
  // implies, eps = √ᾱ_t·v + √(1−ᾱ_t)·x_t (so x_0 = √ᾱ_t·x_t − √(1−ᾱ_t)·v).
  torch::Tensor v_target(const torch::Tensor& x_start, const torch::Tensor& t,
                         const torch::Tensor& noise) const;
  torch::Tensor predict_eps_from_v(const torch::Tensor& x_t, const torch::Tensor& t,
                                   const torch::Tensor& v) const;

  // Runs the network once at respaced indices `t` (int64, shape (B)) and returns p(x_{t-1} | x_t)
  // with the learned-range variance, and x_0 from eps after `denoised_fn`, then clipping to
  // [-1, 1] when `clip_denoised`. Throws glide::Error(invalid_argument) for an index out of
  // range or a network output whose shape differs from x's.
  MeanVariance p_mean_variance(const DenoiseFn& denoise_fn, const torch::Tensor& x,
                               const torch::Tensor& t, bool clip_denoised = true,
                               const DenoisedFn& denoised_fn = nullptr) const;

  // Table values at indices t, shaped (B, 1, ...) to broadcast against `like`.
  torch::Tensor extract(const std::vector<double>& table, const torch::Tensor& t,
                        const torch::Tensor& like) const;

 private:
  void check_indices(const torch::Tensor& t, const torch::Tensor& x, const char* what) const;

  std::vector<double> betas_;
  std::vector<double> log_betas_;
  std::vector<double> alphas_cumprod_;
  std::vector<double> alphas_cumprod_prev_;
  std::vector<double> sqrt_alphas_cumprod_;
  std::vector<double> sqrt_one_minus_alphas_cumprod_;
  std::vector<double> sqrt_recip_alphas_cumprod_;
  std::vector<double> sqrt_recipm1_alphas_cumprod_;
  std::vector<double> posterior_variance_;
  std::vector<double> posterior_log_variance_clipped_;
  std::vector<double> posterior_mean_coef1_;
  std::vector<double> posterior_mean_coef2_;
  std::vector<int64_t> timestep_map_;
  int64_t original_num_steps_ = 0;
};

// The eps-predicting view of a network run as `network` (its output split by
// split_model_output()): for config.prediction == "v" its first channels are converted with
// predict_eps_from_v() at the original timesteps the DenoiseFn is given, in float32 at least;
// for "epsilon" `network` itself.
DenoiseFn eps_prediction(DenoiseFn network, const DiffusionConfig& config);

}  // namespace glide
