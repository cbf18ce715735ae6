#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "glide/training/dataset.hpp"

namespace glide::training {

// The synthetic "shapes" dataset: one anti-aliased colored shape on a plain colored background,
// captioned "a red circle on a blue background". Every image is a pure function of (seed, index).
struct NamedColor {
  std::string name;
  std::array<uint8_t, 3> rgb;
};

struct ShapeSpec {
  std::string shape;  // "circle", "square" or "triangle" (upright)
  std::string color;
  std::string background;
  double center_x = 0.5, center_y = 0.5;  // in image widths, from the top-left corner
  double extent = 0.5;                    // the shape's bounding-box side, in image widths
};

// Which (color, shape) pairs a dataset draws: all of them, all but the held-out ones (the
// training set), or only the held-out ones (to measure generalisation to unseen combinations).
enum class HeldOut { include, exclude, only };

class ShapesDataset : public Dataset {
 public:
  ShapesDataset(int64_t image_size, uint64_t seed = 0, HeldOut held_out = HeldOut::exclude);

  static const std::vector<NamedColor>& colors();
  static const std::vector<std::string>& shapes();
  // (color, shape) pairs never shown in training.
  static const std::vector<std::pair<std::string, std::string>>& held_out_pairs();
  static bool is_held_out(const std::string& color, const std::string& shape);
  static std::string caption(const ShapeSpec& spec);
  // Renders with `samples_per_side`² samples per pixel (anti-aliasing by supersampling): float32
  // (3, size, size) in [-1, 1]. Throws glide::Error(invalid_argument) for an unknown shape or
  // color.
  static torch::Tensor render(const ShapeSpec& spec, int64_t size, int64_t samples_per_side);

  ShapeSpec spec(int64_t index) const;
  int64_t size() const override { return -1; }
  int64_t image_size() const override { return image_size_; }
  Example get(int64_t index) const override;
  std::string description() const override;  // "shapes, seed N", and which pairs if not the default

 private:
  int64_t image_size_;
  uint64_t seed_;
  HeldOut held_out_;
};

}  // namespace glide::training
