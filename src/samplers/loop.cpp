#include "samplers/loop.hpp"

#include <fmt/format.h>

#include "core/host_to_device.hpp"
#include "glide/error.hpp"

namespace glide::detail {

torch::Tensor run_reverse_loop(const char* sampler, const GaussianDiffusion& diffusion,
                               const DenoiseFn& denoise_fn, torch::Tensor x_T,
                               const SampleOptions& options, const StepFn& step) {
  if (!x_T.defined() || !at::isFloatingType(x_T.scalar_type()) || x_T.dim() < 1 ||
      x_T.size(0) < 1) {
    throw Error(Status::invalid_argument,
                fmt::format("{} sampler: x_T must be a floating-point tensor with a batch of at "
                            "least 1; got {}",
                            sampler, x_T.defined() ? x_T.toString() : "none"));
  }
  if (!denoise_fn) {
    throw Error(Status::invalid_argument, fmt::format("{} sampler: no denoise function", sampler));
  }
  const int64_t total = diffusion.num_timesteps();
  // The timesteps stay on the host: what is looked up from them reaches the device without a
  // synchronizing copy (core/host_to_device.hpp), so the host can queue step k+1 while the device
  // still runs step k.
  const auto index_options = at::TensorOptions().dtype(at::kLong);
  torch::Tensor x = std::move(x_T);
  for (int64_t index = total - 1; index >= 0; --index) {
    const torch::Tensor t = at::full({x.size(0)}, index, index_options);
    x = step(x, t, index);
    const int64_t done = total - index;
    if (options.progress && !options.progress(done, total)) {
      throw Error(Status::cancelled,
                  fmt::format("{} sampler: cancelled by the progress callback after step {} of {}",
                              sampler, done, total));
    }
  }
  return x;
}

torch::Tensor nonzero_mask(const torch::Tensor& t, const torch::Tensor& x) {
  std::vector<int64_t> shape(static_cast<size_t>(x.dim()), 1);
  shape[0] = t.size(0);
  return to_device_without_sync(t.ne(0).to(x.scalar_type()).view(shape), x.device());
}

void require_default_eta(const char* sampler, const SamplerParams& params) {
  if (params.eta && *params.eta != 0.0) {
    throw Error(Status::invalid_argument,
                fmt::format("the {} sampler has no eta (got {}); eta applies to ddim, euler_a and "
                            "dpm++2m_sde only",
                            sampler, *params.eta));
  }
}

double eta_in_unit_range(const char* sampler, const SamplerParams& params, double fallback) {
  const double eta = params.eta.value_or(fallback);
  if (!(eta >= 0.0 && eta <= 1.0)) {
    throw Error(Status::invalid_argument,
                fmt::format("{} eta is {}; it must lie in [0, 1] (0: deterministic, 1: the "
                            "reverse SDE's full noise)",
                            sampler, eta));
  }
  return eta;
}

}  // namespace glide::detail
