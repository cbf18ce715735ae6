#pragma once

// A deliberately simple judge of generated "shapes" images for the semantic test: it knows the
// dataset's palette and three shapes, and nothing of the model.

#include <torch/types.h>

#include <string>

namespace glide::test {

struct ShapeReading {
  std::string background;  // nearest palette color to the median border pixel
  std::string color;       // nearest palette color to the median foreground pixel
  std::string shape;       // from the fill ratio of the foreground's bounding box
  double fill_ratio = 0;   // foreground pixels / bounding-box area
  int64_t foreground_pixels = 0;
};

// image: uint8 (H, W, 3). The foreground is the largest 8-connected region of pixels farther
// than a threshold from the background color; a square fills its box (1.0), a circle π/4 of it,
// an upright triangle half.
ShapeReading read_shape(const torch::Tensor& image);

}  // namespace glide::test
