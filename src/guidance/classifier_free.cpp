#include "glide/guidance/classifier_free.hpp"

#include <ATen/ATen.h>
#include <fmt/format.h>

#include <cmath>
#include <utility>

#include "glide/error.hpp"

namespace glide {
namespace {

// Per-sample standard deviation over every non-batch dimension, shaped (B, 1, ...).
torch::Tensor per_sample_std(const torch::Tensor& x) {
  std::vector<int64_t> dims;
  for (int64_t d = 1; d < x.dim(); ++d) dims.push_back(d);
  return at::std(x, dims, /*unbiased=*/true, /*keepdim=*/true);
}

}  // namespace

DenoiseFn classifier_free_guidance(DenoiseFn denoise_fn, double guidance_scale,
                                   double guidance_rescale) {
  if (!denoise_fn) {
    throw Error(Status::invalid_argument, "classifier-free guidance: no denoise function");
  }
  if (!std::isfinite(guidance_scale)) {
    throw Error(Status::invalid_argument,
                fmt::format("guidance_scale is {}; it must be a finite number", guidance_scale));
  }
  if (!(guidance_rescale >= 0.0 && guidance_rescale <= 1.0)) {
    throw Error(Status::invalid_argument,
                fmt::format("guidance_rescale is {}; it must lie in [0, 1]", guidance_rescale));
  }
  return [fn = std::move(denoise_fn), scale = guidance_scale, phi = guidance_rescale](
             const torch::Tensor& x, const torch::Tensor& t) {
    if (x.dim() < 2 || x.size(0) % 2 != 0) {
      throw Error(Status::invalid_argument,
                  fmt::format("classifier-free guidance needs a batch of 2B samples laid out "
                              "[conditional; unconditional]; got a batch of {}",
                              x.dim() < 1 ? 0 : x.size(0)));
    }
    const int64_t half = x.size(0) / 2;
    const torch::Tensor first = x.narrow(0, 0, half);
    ModelOutput out = fn(at::cat({first, first}, 0), t);
    if (!out.eps.defined() || out.eps.sizes() != x.sizes()) {
      throw Error(Status::invalid_argument,
                  "classifier-free guidance: the denoise function's eps must have x_t's shape");
    }
    const torch::Tensor cond = out.eps.narrow(0, 0, half);
    const torch::Tensor uncond = out.eps.narrow(0, half, half);
    torch::Tensor guided = uncond + scale * (cond - uncond);
    if (phi > 0.0) {
      const torch::Tensor std_guided = per_sample_std(guided);
      const torch::Tensor ratio =
          at::where(std_guided > 0, per_sample_std(cond) / std_guided, at::ones_like(std_guided));
      guided = phi * (guided * ratio) + (1.0 - phi) * guided;
    }
    out.eps = at::cat({guided, guided}, 0);
    return out;
  };
}

}  // namespace glide
