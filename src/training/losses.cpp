#include "glide/training/losses.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "glide/error.hpp"

namespace glide::training {

namespace {

// Standard normal CDF through the tanh approximation of Page (1977), as improved DDPM uses.
torch::Tensor approx_standard_normal_cdf(const torch::Tensor& x) {
  return 0.5 * (1.0 + torch::tanh(std::sqrt(2.0 / M_PI) * (x + 0.044715 * x.pow(3))));
}

torch::Tensor mean_over_pixels(const torch::Tensor& x) {
  return x.flatten(/*start_dim=*/1).mean(/*dim=*/1);
}

}  // namespace

torch::Tensor normal_kl(const torch::Tensor& mean1, const torch::Tensor& logvar1,
                        const torch::Tensor& mean2, const torch::Tensor& logvar2) {
  return 0.5 * (-1.0 + logvar2 - logvar1 + torch::exp(logvar1 - logvar2) +
                (mean1 - mean2).pow(2) * torch::exp(-logvar2));
}

torch::Tensor discretized_gaussian_log_likelihood(const torch::Tensor& x, const torch::Tensor& mean,
                                                  const torch::Tensor& log_scale) {
  const torch::Tensor centered = x - mean;
  const torch::Tensor inv_std = torch::exp(-log_scale);
  const torch::Tensor cdf_plus = approx_standard_normal_cdf(inv_std * (centered + 1.0 / 255.0));
  const torch::Tensor cdf_min = approx_standard_normal_cdf(inv_std * (centered - 1.0 / 255.0));
  const torch::Tensor log_cdf_plus = torch::log(cdf_plus.clamp_min(1e-12));
  const torch::Tensor log_one_minus_cdf_min = torch::log((1.0 - cdf_min).clamp_min(1e-12));
  const torch::Tensor log_delta = torch::log((cdf_plus - cdf_min).clamp_min(1e-12));
  return torch::where(x < -0.999, log_cdf_plus,
                      torch::where(x > 0.999, log_one_minus_cdf_min, log_delta));
}

DiffusionLoss diffusion_loss(const GaussianDiffusion& diffusion, const torch::Tensor& model_output,
                             const torch::Tensor& x_start, const torch::Tensor& x_t,
                             const torch::Tensor& t, const torch::Tensor& noise, bool predicts_v) {
  if (model_output.dim() != 4 || model_output.size(1) != 2 * x_t.size(1) ||
      model_output.size(0) != x_t.size(0) || model_output.size(2) != x_t.size(2) ||
      model_output.size(3) != x_t.size(3)) {
    throw Error(Status::invalid_argument,
                fmt::format("model output has shape {}; expected (B, 6, H, W) for x_t of shape {}",
                            c10::str(model_output.sizes()), c10::str(x_t.sizes())));
  }
  const auto parts = model_output.to(torch::kFloat32).chunk(2, /*dim=*/1);
  const torch::Tensor& prediction = parts[0];  // eps, or v for a v-prediction model
  const torch::Tensor& v = parts[1];           // the variance interpolation
  const torch::Tensor eps =
      predicts_v ? diffusion.predict_eps_from_v(x_t, t, prediction) : prediction;

  // Σ_θ = exp(v' log β_t + (1 − v') log β̃_t) with v' = (v + 1) / 2 (improved DDPM eq. 15).
  std::vector<double> log_betas;
  for (double b : diffusion.betas()) log_betas.push_back(std::log(b));
  const torch::Tensor max_log = diffusion.extract(log_betas, t, x_t);
  const torch::Tensor min_log =
      diffusion.extract(diffusion.posterior_log_variance_clipped(), t, x_t);
  const torch::Tensor frac = (v + 1.0) / 2.0;
  const torch::Tensor model_log_variance = frac * max_log + (1.0 - frac) * min_log;

  // The vb term trains only the variance: the mean comes from a detached eps (sec. 3.1).
  const torch::Tensor pred_xstart = diffusion.predict_xstart_from_eps(x_t, t, eps.detach());
  const torch::Tensor model_mean = diffusion.q_posterior_mean_variance(pred_xstart, x_t, t).mean;
  const MeanVariance truth = diffusion.q_posterior_mean_variance(x_start, x_t, t);

  const double bits = std::log(2.0);
  const torch::Tensor kl =
      mean_over_pixels(normal_kl(truth.mean, truth.log_variance, model_mean, model_log_variance)) /
      bits;
  const torch::Tensor decoder_nll = -mean_over_pixels(discretized_gaussian_log_likelihood(
                                        x_start, model_mean, 0.5 * model_log_variance)) /
                                    bits;
  const double scale = static_cast<double>(diffusion.num_timesteps()) / 1000.0;
  const torch::Tensor vb = torch::where(t == 0, decoder_nll, kl) * scale;
  const torch::Tensor target = predicts_v ? diffusion.v_target(x_start, t, noise) : noise;
  const torch::Tensor mse = mean_over_pixels((target - prediction).pow(2));
  return {mse + vb, mse, vb};
}

torch::Tensor x0_error_weight(const GaussianDiffusion& diffusion, const torch::Tensor& t,
                              double cap) {
  if (!(cap >= 1.0) || !std::isfinite(cap)) {
    throw Error(Status::invalid_argument,
                fmt::format("x0_weight_cap={} must be a finite number >= 1 (1: unweighted)", cap));
  }
  const auto& abar = diffusion.alphas_cumprod();
  std::vector<double> weights(abar.size());
  for (size_t i = 0; i < abar.size(); ++i) {
    const double inverse_snr = (1.0 - abar[i]) / abar[i];
    weights[i] = std::min(std::max(1.0, inverse_snr), cap);
  }
  return torch::tensor(weights, torch::kDouble)
      .index_select(0, t.to(torch::kLong))
      .to(torch::kFloat);
}

}  // namespace glide::training
