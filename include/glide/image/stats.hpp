#pragma once

#include <torch/types.h>

#include <array>

namespace glide::image {

// Summary numbers of one image for comparing hyperparameters (glide sweep). Pixel values are
// taken in [0, 1] (uint8 / 255); luminance is Rec. 601 luma, 0.299 R + 0.587 G + 0.114 B.
struct ImageStats {
  std::array<double, 3> mean_rgb{};  // per channel
  double mean_luminance = 0;
  double contrast = 0;    // population standard deviation of the luminance
  double saturation = 0;  // mean HSV saturation, (max - min) / max per pixel, 0 where max = 0
  // Population variance of the 4-neighbour Laplacian of the luminance (kernel 0 1 0 / 1 -4 1 /
  // 0 1 0) over the pixels whose neighbours all exist; 0 for images under 3x3.
  double sharpness = 0;
};

// For a uint8 (H, W, 3) image on any device. Throws glide::Error(invalid_argument) for another
// dtype or shape, or an empty image.
ImageStats image_stats(const torch::Tensor& image);

}  // namespace glide::image
