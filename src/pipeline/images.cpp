#include "pipeline/images.hpp"

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <vector>

#include "glide/error.hpp"
#include "glide/io/checkpoint.hpp"
#include "glide/pipeline/guided_sampler.hpp"

namespace glide {
namespace {

// numpy's names (io::dtype_name): the images reach most users as numpy arrays or C buffers.
std::string describe(const torch::Tensor& t) {
  if (!t.defined()) return "an undefined tensor";
  return fmt::format("dtype {} of shape ({}{})", io::dtype_name(t.scalar_type()),
                     fmt::join(t.sizes(), ", "), t.dim() == 1 ? "," : "");
}

}  // namespace

torch::Tensor to_uint8_images(const torch::Tensor& x) {
  if (!x.defined() || !at::isFloatingType(x.scalar_type()) || x.dim() != 4 || x.size(1) != 3) {
    throw Error(Status::invalid_argument,
                fmt::format("to_uint8_images expects floating-point (B, 3, H, W) images in "
                            "[-1, 1]; got {}",
                            describe(x)));
  }
  return ((x.to(at::kFloat) + 1) * 127.5)
      .round()
      .clamp(0, 255)
      .to(at::kByte)
      .permute({0, 2, 3, 1})
      .contiguous()
      .cpu();
}

torch::Tensor from_uint8_images(const torch::Tensor& images) {
  if (!images.defined() || images.scalar_type() != at::kByte || images.dim() != 4 ||
      images.size(3) != 3) {
    throw Error(Status::invalid_argument,
                fmt::format("from_uint8_images expects uint8 (B, H, W, 3) RGB images; got {}",
                            describe(images)));
  }
  return (images.to(at::kFloat) / 127.5 - 1).permute({0, 3, 1, 2}).contiguous();
}

namespace pipeline {
namespace {

// Inputs up to this many pixels are resized in one call; larger ones by strips of rows.
constexpr int64_t kWholeResizePixels = int64_t{4096} * 4096;
constexpr int64_t kResizeStripRows = 256;

}  // namespace

torch::Tensor quantize_8bit(const torch::Tensor& x) {
  return ((x + 1) * 127.5).round().clamp(0, 255) / 127.5 - 1;
}

torch::Tensor resize_images(const torch::Tensor& images, int64_t size, const std::string& what) {
  torch::Tensor batch = images.defined() && images.dim() == 3 ? images.unsqueeze(0) : images;
  if (!batch.defined() || batch.scalar_type() != at::kByte || batch.dim() != 4 ||
      batch.size(3) != 3 || batch.size(0) < 1 || batch.size(1) < 1 || batch.size(2) < 1) {
    throw Error(Status::invalid_argument,
                fmt::format("{} must be uint8 RGB images (B, H, W, 3) or (H, W, 3); got {}", what,
                            describe(images)));
  }
  batch = batch.cpu();
  const int64_t height = batch.size(1), width = batch.size(2);
  if (height == size && width == size) return batch.contiguous();
  // PIL's BICUBIC (a = -0.5, antialiased): the resize GLIDE's inpainting notebook reads images
  // with.
  const auto bicubic = [](const torch::Tensor& planar, int64_t out_height, int64_t out_width) {
    return at::_upsample_bicubic2d_aa(planar, at::IntArrayRef({out_height, out_width}),
                                      /*align_corners=*/false);
  };
  torch::Tensor resized;
  if (height * width <= kWholeResizePixels) {
    resized = bicubic(batch.permute({0, 3, 1, 2}).to(at::kFloat), size, size);
  } else {
    // A large input whole as float would take 12 bytes a pixel (3 GB for 16384^2, and as much
    // again inside the kernel): its rows are narrowed strip by strip first. The filter is
    // separable and is the identity along a side whose size is kept, so this is the same resize.
    std::vector<torch::Tensor> strips;
    for (int64_t row = 0; row < height; row += kResizeStripRows) {
      const torch::Tensor strip = batch.slice(1, row, std::min(row + kResizeStripRows, height));
      strips.push_back(bicubic(strip.permute({0, 3, 1, 2}).to(at::kFloat), strip.size(1), size));
    }
    resized = bicubic(at::cat(strips, 2), size, size);
  }
  return resized.round().clamp(0, 255).to(at::kByte).permute({0, 2, 3, 1}).contiguous();
}

torch::Tensor prepare_mask(const torch::Tensor& mask, int64_t batch, int64_t size,
                           const std::string& what) {
  torch::Tensor m = mask.defined() && mask.dim() == 2 ? mask.unsqueeze(0) : mask;
  if (!m.defined() || m.dim() != 3 || m.size(1) < 1 || m.size(2) < 1 ||
      (m.size(0) != 1 && m.size(0) != batch) || m.is_complex()) {
    throw Error(Status::invalid_argument,
                fmt::format("{} must be (H, W) or (B, H, W) with B = 1 or the batch size {}, "
                            "nonzero = keep; got {}",
                            what, batch, describe(mask)));
  }
  m = m.cpu().ne(0).to(at::kFloat).unsqueeze(1);
  if (m.size(2) != size || m.size(3) != size) {
    m = at::upsample_nearest2d(m, at::IntArrayRef({size, size}));
  }
  return m.expand({batch, 1, size, size}).contiguous();
}

}  // namespace pipeline
}  // namespace glide
