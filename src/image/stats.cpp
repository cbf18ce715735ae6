#include "glide/image/stats.hpp"

#include <ATen/ATen.h>
#include <fmt/format.h>

#include "glide/error.hpp"

namespace glide::image {

ImageStats image_stats(const torch::Tensor& image) {
  if (!image.defined() || image.scalar_type() != at::kByte || image.dim() != 3 ||
      image.size(2) != 3 || image.numel() == 0) {
    throw Error(Status::invalid_argument,
                fmt::format("image_stats needs a non-empty uint8 (H, W, 3) image, not {} {}",
                            image.defined() ? c10::toString(image.scalar_type()) : "undefined",
                            image.defined() ? c10::str(image.sizes()) : ""));
  }
  const torch::Tensor rgb = image.to(at::kCPU, at::kDouble) / 255.0;  // (H, W, 3)
  ImageStats s;
  const torch::Tensor channel_means = rgb.mean(at::IntArrayRef{0, 1});
  for (int c = 0; c < 3; ++c) s.mean_rgb[c] = channel_means[c].item<double>();

  const torch::Tensor luma =
      0.299 * rgb.select(2, 0) + 0.587 * rgb.select(2, 1) + 0.114 * rgb.select(2, 2);
  s.mean_luminance = luma.mean().item<double>();
  s.contrast = luma.std(/*unbiased=*/false).item<double>();

  const torch::Tensor hi = std::get<0>(rgb.max(2));
  const torch::Tensor lo = std::get<0>(rgb.min(2));
  const torch::Tensor sat = at::where(hi > 0, (hi - lo) / hi.clamp_min(1e-12), at::zeros_like(hi));
  s.saturation = sat.mean().item<double>();

  const int64_t h = luma.size(0), w = luma.size(1);
  if (h >= 3 && w >= 3) {
    const auto inner = [&](int64_t dy, int64_t dx) {
      return luma.narrow(0, 1 + dy, h - 2).narrow(1, 1 + dx, w - 2);
    };
    const torch::Tensor laplacian =
        inner(-1, 0) + inner(1, 0) + inner(0, -1) + inner(0, 1) - 4.0 * inner(0, 0);
    s.sharpness = laplacian.var(/*unbiased=*/false).item<double>();
  }
  return s;
}

}  // namespace glide::image
