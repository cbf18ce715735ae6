#include "glide/guidance/denoised.hpp"

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <utility>

#include "glide/error.hpp"

namespace glide {
namespace {

std::string shape_string(const torch::Tensor& t) {
  return t.defined() ? fmt::format("[{}]", fmt::join(t.sizes(), ", ")) : "undefined";
}

bool broadcasts_to(const torch::Tensor& value, const torch::Tensor& target) {
  if (value.dim() > target.dim()) return false;
  for (int64_t i = 1; i <= value.dim(); ++i) {
    const int64_t v = value.size(-i);
    if (v != 1 && v != target.size(-i)) return false;
  }
  return true;
}

}  // namespace

DenoisedFn static_clipping() {
  return [](const torch::Tensor& x0) { return x0.clamp(-1, 1); };
}

DenoisedFn dynamic_thresholding(double percentile) {
  if (!(percentile > 0.0 && percentile <= 1.0)) {
    throw Error(
        Status::invalid_argument,
        fmt::format("dynamic thresholding percentile is {}; it must lie in (0, 1]", percentile));
  }
  return [percentile](const torch::Tensor& x0) {
    if (x0.dim() < 1 || x0.numel() == 0) return x0;
    const auto work_type = x0.scalar_type() == at::kDouble ? at::kDouble : at::kFloat;
    const torch::Tensor flat = x0.reshape({x0.size(0), -1}).abs().to(work_type);
    std::vector<int64_t> shape(static_cast<size_t>(x0.dim()), 1);
    shape[0] = x0.size(0);
    const torch::Tensor s =
        at::quantile(flat, percentile, /*dim=*/1, /*keepdim=*/false, /*interpolation=*/"linear")
            .clamp_min(1.0)
            .view(shape)
            .to(x0.scalar_type());
    return at::max(at::min(x0, s), -s) / s;
  };
}

DenoisedFn keep_known_region(torch::Tensor image, torch::Tensor mask) {
  if (!image.defined() || !mask.defined()) {
    throw Error(Status::invalid_argument, "inpainting needs both an image and a mask");
  }
  return [image = std::move(image), mask = std::move(mask)](const torch::Tensor& x0) {
    if (!broadcasts_to(image, x0) || !broadcasts_to(mask, x0)) {
      throw Error(Status::invalid_argument,
                  fmt::format("inpainting image {} and mask {} must broadcast to x_0's shape {}",
                              shape_string(image), shape_string(mask), shape_string(x0)));
    }
    const torch::Tensor m = mask.to(x0.device(), x0.scalar_type());
    return x0 * (1 - m) + image.to(x0.device(), x0.scalar_type()) * m;
  };
}

DenoisedFn chain_denoised(std::vector<DenoisedFn> hooks) {
  return [hooks = std::move(hooks)](const torch::Tensor& x0) {
    torch::Tensor x = x0;
    for (const DenoisedFn& hook : hooks) {
      if (hook) x = hook(x);
    }
    return x;
  };
}

}  // namespace glide
