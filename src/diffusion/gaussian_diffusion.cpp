#include "glide/diffusion/gaussian_diffusion.hpp"

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>
#include <set>
#include <type_traits>

#include "core/host_to_device.hpp"
#include "glide/diffusion/schedule.hpp"
#include "glide/error.hpp"

namespace glide {
namespace {

std::string shape_string(const torch::Tensor& t) {
  return t.defined() ? fmt::format("[{}]", fmt::join(t.sizes(), ", ")) : "undefined";
}

void check_sample_tensor(const torch::Tensor& x, const char* what) {
  if (!x.defined() || !at::isFloatingType(x.scalar_type()) || x.dim() < 1) {
    throw Error(Status::invalid_argument,
                fmt::format("{} must be a floating-point tensor with a batch dimension; got {}",
                            what, x.defined() ? x.toString() + " " + shape_string(x) : "none"));
  }
}

void check_same_shape(const torch::Tensor& value, const torch::Tensor& x, const char* what) {
  if (!value.defined() || value.sizes() != x.sizes()) {
    throw Error(Status::invalid_argument,
                fmt::format("the denoise function's {} has shape {}; it must equal x_t's shape {}",
                            what, shape_string(value), shape_string(x)));
  }
}

}  // namespace

void DiffusionConfig::validate() const {
  named_beta_schedule(noise_schedule, diffusion_steps);
  space_timesteps(diffusion_steps, timestep_respacing);
  if (prediction != "epsilon" && prediction != "v") {
    throw Error(Status::invalid_argument,
                fmt::format("prediction \"{}\" is unknown; expected \"epsilon\" (the noise, "
                            "GLIDE's) or \"v\" (v-prediction)",
                            prediction));
  }
}

ModelOutput split_model_output(const torch::Tensor& output, int64_t channels) {
  if (!output.defined() || output.dim() < 2 || channels < 1 || output.size(1) != 2 * channels) {
    throw Error(Status::invalid_argument,
                fmt::format("a model output of shape {} cannot be split into eps and variance "
                            "values of {} channels each; dim 1 must be {}",
                            shape_string(output), channels, 2 * channels));
  }
  return {output.narrow(1, 0, channels), output.narrow(1, channels, channels)};
}

GaussianDiffusion::GaussianDiffusion(std::vector<double> betas) : betas_(std::move(betas)) {
  const size_t n = betas_.size();
  if (n == 0) throw Error(Status::invalid_argument, "a diffusion process needs at least one beta");
  for (size_t i = 0; i < n; ++i) {
    if (!(betas_[i] > 0.0 && betas_[i] <= 1.0)) {
      throw Error(Status::invalid_argument,
                  fmt::format("beta[{}] is {}; every beta must lie in (0, 1]", i, betas_[i]));
    }
  }
  original_num_steps_ = static_cast<int64_t>(n);
  timestep_map_.resize(n);
  for (size_t i = 0; i < n; ++i) timestep_map_[i] = static_cast<int64_t>(i);

  log_betas_.resize(n);
  alphas_cumprod_.resize(n);
  alphas_cumprod_prev_.resize(n);
  sqrt_alphas_cumprod_.resize(n);
  sqrt_one_minus_alphas_cumprod_.resize(n);
  sqrt_recip_alphas_cumprod_.resize(n);
  sqrt_recipm1_alphas_cumprod_.resize(n);
  posterior_variance_.resize(n);
  posterior_log_variance_clipped_.resize(n);
  posterior_mean_coef1_.resize(n);
  posterior_mean_coef2_.resize(n);
  double product = 1.0;
  for (size_t i = 0; i < n; ++i) {
    const double beta = betas_[i];
    const double alpha = 1.0 - beta;
    const double prev = product;
    product *= alpha;
    const double ac = product;
    log_betas_[i] = std::log(beta);
    alphas_cumprod_[i] = ac;
    alphas_cumprod_prev_[i] = prev;
    sqrt_alphas_cumprod_[i] = std::sqrt(ac);
    sqrt_one_minus_alphas_cumprod_[i] = std::sqrt(1.0 - ac);
    sqrt_recip_alphas_cumprod_[i] = std::sqrt(1.0 / ac);
    sqrt_recipm1_alphas_cumprod_[i] = std::sqrt(1.0 / ac - 1);
    // Ho et al. 2020, eq. 7.
    posterior_variance_[i] = beta * (1.0 - prev) / (1.0 - ac);
    posterior_mean_coef1_[i] = beta * std::sqrt(prev) / (1.0 - ac);
    posterior_mean_coef2_[i] = (1.0 - prev) * std::sqrt(alpha) / (1.0 - ac);
  }
  // β̃_0 is 0; its log is replaced by the next step's. With one step there is none: use log β_0.
  for (size_t i = 0; i < n; ++i) {
    const double v = i == 0 ? (n > 1 ? posterior_variance_[1] : betas_[0]) : posterior_variance_[i];
    posterior_log_variance_clipped_[i] = std::log(v);
  }
}

GaussianDiffusion GaussianDiffusion::spaced(const std::vector<double>& base_betas,
                                            const std::vector<int64_t>& use_timesteps) {
  GaussianDiffusion base(base_betas);
  const int64_t total = base.num_timesteps();
  std::set<int64_t> use;
  for (int64_t t : use_timesteps) {
    if (t < 0 || t >= total) {
      throw Error(
          Status::invalid_argument,
          fmt::format("timestep {} to keep is outside the base process's 0..{}", t, total - 1));
    }
    if (!use.insert(t).second) {
      throw Error(Status::invalid_argument,
                  fmt::format("timestep {} is listed twice in the timesteps to keep", t));
    }
  }
  if (use.empty()) throw Error(Status::invalid_argument, "no timesteps to keep were given");
  // Each kept step's beta makes the respaced ᾱ equal the base ᾱ at that step.
  std::vector<double> betas;
  std::vector<int64_t> map;
  double last_alpha_cumprod = 1.0;
  for (int64_t t : use) {
    const double ac = base.alphas_cumprod_[t];
    betas.push_back(1.0 - ac / last_alpha_cumprod);
    last_alpha_cumprod = ac;
    map.push_back(t);
  }
  GaussianDiffusion result(std::move(betas));
  result.timestep_map_ = std::move(map);
  result.original_num_steps_ = total;
  return result;
}

GaussianDiffusion GaussianDiffusion::from_config(const DiffusionConfig& config) {
  return spaced(named_beta_schedule(config.noise_schedule, config.diffusion_steps),
                space_timesteps(config.diffusion_steps, config.timestep_respacing));
}

void GaussianDiffusion::check_indices(const torch::Tensor& t, const torch::Tensor& x,
                                      const char* what) const {
  if (!t.defined() || t.dim() != 1 || !at::isIntegralType(t.scalar_type(), /*includeBool=*/false)) {
    throw Error(Status::invalid_argument,
                fmt::format("{}: timestep indices must be a 1-D integer tensor; got {}", what,
                            t.defined() ? t.toString() + " " + shape_string(t) : "none"));
  }
  if (x.defined() && x.dim() >= 1 && t.size(0) != x.size(0)) {
    throw Error(Status::invalid_argument, fmt::format("{}: {} timestep indices for a batch of {}",
                                                      what, t.size(0), x.size(0)));
  }
  if (t.numel() == 0) return;
  const int64_t lo = t.min().item<int64_t>();
  const int64_t hi = t.max().item<int64_t>();
  if (lo < 0 || hi >= num_timesteps()) {
    throw Error(Status::invalid_argument,
                fmt::format("{}: timestep index {} is outside 0..{} of this {}-step process", what,
                            lo < 0 ? lo : hi, num_timesteps() - 1, num_timesteps()));
  }
}

torch::Tensor GaussianDiffusion::extract(const std::vector<double>& table, const torch::Tensor& t,
                                         const torch::Tensor& like) const {
  const torch::Tensor index = t.to(at::kCPU, at::kLong).contiguous();
  const int64_t* ids = index.data_ptr<int64_t>();
  const auto dtype = like.scalar_type() == at::kDouble ? at::kDouble : at::kFloat;
  // Written once, in the final dtype, into memory the device copies from without a sync.
  at::Tensor values = at::empty({index.numel()}, host_staging_options(like.device(), dtype));
  const auto fill = [&](auto* out) {
    for (int64_t i = 0; i < index.numel(); ++i) {
      out[i] =
          static_cast<std::remove_pointer_t<decltype(out)>>(table.at(static_cast<size_t>(ids[i])));
    }
  };
  dtype == at::kDouble ? fill(values.data_ptr<double>()) : fill(values.data_ptr<float>());
  std::vector<int64_t> shape(static_cast<size_t>(std::max<int64_t>(like.dim(), 1)), 1);
  shape[0] = index.numel();
  return to_device_without_sync(values.view(shape), like.device());
}

torch::Tensor GaussianDiffusion::original_timesteps(const torch::Tensor& t) const {
  check_indices(t, torch::Tensor(), "original_timesteps");
  const at::Tensor map = at::tensor(timestep_map_, at::TensorOptions().dtype(at::kLong));
  return map.index_select(0, t.to(at::kCPU, at::kLong)).to(t.device());
}

torch::Tensor GaussianDiffusion::q_sample(const torch::Tensor& x_start, const torch::Tensor& t,
                                          const torch::Tensor& noise) const {
  check_sample_tensor(x_start, "q_sample's x_start");
  check_indices(t, x_start, "q_sample");
  if (!noise.defined() || noise.sizes() != x_start.sizes()) {
    throw Error(Status::invalid_argument,
                fmt::format("q_sample's noise has shape {}; it must equal x_start's {}",
                            shape_string(noise), shape_string(x_start)));
  }
  return extract(sqrt_alphas_cumprod_, t, x_start) * x_start +
         extract(sqrt_one_minus_alphas_cumprod_, t, x_start) * noise;
}

MeanVariance GaussianDiffusion::q_posterior_mean_variance(const torch::Tensor& x_start,
                                                          const torch::Tensor& x_t,
                                                          const torch::Tensor& t) const {
  MeanVariance out;
  out.mean = extract(posterior_mean_coef1_, t, x_t) * x_start +
             extract(posterior_mean_coef2_, t, x_t) * x_t;
  out.variance = extract(posterior_variance_, t, x_t).expand_as(x_t);
  out.log_variance = extract(posterior_log_variance_clipped_, t, x_t).expand_as(x_t);
  out.pred_xstart = x_start;
  return out;
}

torch::Tensor GaussianDiffusion::predict_xstart_from_eps(const torch::Tensor& x_t,
                                                         const torch::Tensor& t,
                                                         const torch::Tensor& eps) const {
  return extract(sqrt_recip_alphas_cumprod_, t, x_t) * x_t -
         extract(sqrt_recipm1_alphas_cumprod_, t, x_t) * eps;
}

torch::Tensor GaussianDiffusion::predict_eps_from_xstart(const torch::Tensor& x_t,
                                                         const torch::Tensor& t,
                                                         const torch::Tensor& pred_xstart) const {
  return (extract(sqrt_recip_alphas_cumprod_, t, x_t) * x_t - pred_xstart) /
         extract(sqrt_recipm1_alphas_cumprod_, t, x_t);
}

torch::Tensor GaussianDiffusion::v_target(const torch::Tensor& x_start, const torch::Tensor& t,
                                          const torch::Tensor& noise) const {
  return extract(sqrt_alphas_cumprod_, t, x_start) * noise -
         extract(sqrt_one_minus_alphas_cumprod_, t, x_start) * x_start;
}

torch::Tensor GaussianDiffusion::predict_eps_from_v(const torch::Tensor& x_t,
                                                    const torch::Tensor& t,
                                                    const torch::Tensor& v) const {
  return extract(sqrt_alphas_cumprod_, t, x_t) * v +
         extract(sqrt_one_minus_alphas_cumprod_, t, x_t) * x_t;
}

DenoiseFn eps_prediction(DenoiseFn network, const DiffusionConfig& config) {
  config.validate();
  if (config.prediction == "epsilon") return network;
  DiffusionConfig unspaced = config;
  unspaced.timestep_respacing.clear();
  return [network = std::move(network), process = GaussianDiffusion::from_config(unspaced)](
             const torch::Tensor& x_t, const torch::Tensor& t) {
    ModelOutput out = network(x_t, t);
    // float32 at least: with half-precision eps, x_0 = (x_t − √(1−ᾱ)·eps)/√ᾱ would lose the
    // accuracy v-prediction is for.
    const auto dtype = x_t.scalar_type() == torch::kDouble ? torch::kDouble : torch::kFloat;
    out.eps = process.predict_eps_from_v(x_t.to(dtype), t, out.eps.to(dtype));
    return out;
  };
}

MeanVariance GaussianDiffusion::p_mean_variance(const DenoiseFn& denoise_fn, const torch::Tensor& x,
                                                const torch::Tensor& t, bool clip_denoised,
                                                const DenoisedFn& denoised_fn) const {
  check_sample_tensor(x, "p_mean_variance's x");
  check_indices(t, x, "p_mean_variance");
  if (!denoise_fn) throw Error(Status::invalid_argument, "p_mean_variance: no denoise function");
  const ModelOutput model =
      denoise_fn(x, to_device_without_sync(original_timesteps(t), x.device()));
  check_same_shape(model.eps, x, "eps");
  check_same_shape(model.var_values, x, "variance values");

  // Improved DDPM eq. 15: interpolate log β̃_t (v = -1) and log β_t (v = +1).
  const torch::Tensor min_log = extract(posterior_log_variance_clipped_, t, x);
  const torch::Tensor max_log = extract(log_betas_, t, x);
  const torch::Tensor frac = (model.var_values + 1) / 2;
  MeanVariance out;
  out.log_variance = frac * max_log + (1 - frac) * min_log;
  out.variance = at::exp(out.log_variance);

  torch::Tensor pred_xstart = predict_xstart_from_eps(x, t, model.eps);
  if (denoised_fn) pred_xstart = denoised_fn(pred_xstart);
  if (clip_denoised) pred_xstart = pred_xstart.clamp(-1, 1);
  out.pred_xstart = pred_xstart;
  out.mean =
      extract(posterior_mean_coef1_, t, x) * pred_xstart + extract(posterior_mean_coef2_, t, x) * x;
  return out;
}

}  // namespace glide
