#include "glide/training/shapes.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "glide/error.hpp"

namespace glide::training {

namespace {

// SplitMix64 (Steele et al. 2014): a tiny, well-mixed stream of 64-bit values from one seed.
struct SplitMix64 {
  uint64_t state;
  uint64_t next() {
    uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  size_t below(size_t n) { return static_cast<size_t>(next() % n); }
};

const NamedColor& find_color(const std::string& name) {
  for (const auto& c : ShapesDataset::colors()) {
    if (c.name == name) return c;
  }
  throw Error(Status::invalid_argument, fmt::format("unknown shapes color \"{}\"", name));
}

using InsideFn = bool (*)(double dx, double dy, double half);

bool inside_circle(double dx, double dy, double half) {
  return dx * dx + dy * dy <= half * half;
}
bool inside_square(double dx, double dy, double half) {
  return std::abs(dx) <= half && std::abs(dy) <= half;
}
// Upright isosceles triangle: apex at the top of the bounding box, base along its bottom.
bool inside_triangle(double dx, double dy, double half) {
  return dy >= -half && dy <= half && std::abs(dx) <= (dy + half) / 2.0;
}

InsideFn inside_fn(const std::string& shape) {
  if (shape == "circle") return inside_circle;
  if (shape == "square") return inside_square;
  if (shape == "triangle") return inside_triangle;
  throw Error(Status::invalid_argument,
              fmt::format("unknown shape \"{}\"; expected circle, square or triangle", shape));
}

}  // namespace

std::string ShapesDataset::description() const {
  const char* held_out = held_out_ == HeldOut::exclude   ? ""
                         : held_out_ == HeldOut::include ? ", held-out pairs included"
                                                         : ", held-out pairs only";
  return fmt::format("shapes, seed {}{}", seed_, held_out);
}

ShapesDataset::ShapesDataset(int64_t image_size, uint64_t seed, HeldOut held_out)
    : image_size_(image_size), seed_(seed), held_out_(held_out) {
  if (image_size < 8) {
    throw Error(Status::invalid_argument,
                fmt::format("shapes image_size={} is too small; expected at least 8", image_size));
  }
}

const std::vector<NamedColor>& ShapesDataset::colors() {
  static const std::vector<NamedColor> palette = {
      {"red", {220, 30, 30}},     {"green", {30, 170, 50}},   {"blue", {30, 70, 220}},
      {"yellow", {245, 215, 30}}, {"white", {245, 245, 245}}, {"black", {20, 20, 20}},
      {"orange", {245, 135, 20}}, {"purple", {140, 50, 180}},
  };
  return palette;
}

const std::vector<std::string>& ShapesDataset::shapes() {
  static const std::vector<std::string> names = {"circle", "square", "triangle"};
  return names;
}

const std::vector<std::pair<std::string, std::string>>& ShapesDataset::held_out_pairs() {
  static const std::vector<std::pair<std::string, std::string>> pairs = {
      {"red", "square"}, {"blue", "triangle"}, {"purple", "circle"}, {"white", "triangle"}};
  return pairs;
}

bool ShapesDataset::is_held_out(const std::string& color, const std::string& shape) {
  const auto& pairs = held_out_pairs();
  return std::find(pairs.begin(), pairs.end(), std::make_pair(color, shape)) != pairs.end();
}

std::string ShapesDataset::caption(const ShapeSpec& spec) {
  return fmt::format("a {} {} on a {} background", spec.color, spec.shape, spec.background);
}

ShapeSpec ShapesDataset::spec(int64_t index) const {
  SplitMix64 rng{seed_ * 0x100000001B3ull ^ static_cast<uint64_t>(index) * 0xD6E8FEB86659FD93ull};
  const auto& palette = colors();
  ShapeSpec s;
  for (;;) {
    s.shape = shapes()[rng.below(shapes().size())];
    s.color = palette[rng.below(palette.size())].name;
    const bool held = is_held_out(s.color, s.shape);
    if (held_out_ == HeldOut::include || (held == (held_out_ == HeldOut::only))) break;
  }
  do {
    s.background = palette[rng.below(palette.size())].name;
  } while (s.background == s.color);
  s.extent = 0.35 + 0.4 * rng.uniform();
  const double margin = 0.04 + s.extent / 2.0;
  s.center_x = margin + (1.0 - 2.0 * margin) * rng.uniform();
  s.center_y = margin + (1.0 - 2.0 * margin) * rng.uniform();
  return s;
}

torch::Tensor ShapesDataset::render(const ShapeSpec& spec, int64_t size, int64_t samples_per_side) {
  if (size < 1 || samples_per_side < 1) {
    throw Error(Status::invalid_argument,
                fmt::format("shapes render size={} samples_per_side={}; both must be positive",
                            size, samples_per_side));
  }
  const InsideFn inside = inside_fn(spec.shape);
  const auto& fg = find_color(spec.color).rgb;
  const auto& bg = find_color(spec.background).rgb;
  const double half = spec.extent / 2.0;
  const double n = static_cast<double>(samples_per_side);
  torch::Tensor image = torch::empty({3, size, size}, torch::kFloat32);
  auto out = image.accessor<float, 3>();
  for (int64_t y = 0; y < size; ++y) {
    for (int64_t x = 0; x < size; ++x) {
      int64_t hits = 0;
      for (int64_t sy = 0; sy < samples_per_side; ++sy) {
        const double py = (static_cast<double>(y) + (static_cast<double>(sy) + 0.5) / n) /
                          static_cast<double>(size);
        for (int64_t sx = 0; sx < samples_per_side; ++sx) {
          const double px = (static_cast<double>(x) + (static_cast<double>(sx) + 0.5) / n) /
                            static_cast<double>(size);
          hits += inside(px - spec.center_x, py - spec.center_y, half) ? 1 : 0;
        }
      }
      const double coverage = static_cast<double>(hits) / (n * n);
      for (int64_t c = 0; c < 3; ++c) {
        const double value = coverage * fg[c] + (1.0 - coverage) * bg[c];
        out[c][y][x] = static_cast<float>(value / 127.5 - 1.0);
      }
    }
  }
  return image;
}

Example ShapesDataset::get(int64_t index) const {
  const ShapeSpec s = spec(index);
  // 512 samples across the image at any size, so a 128-pixel image average-pooled by 4 equals
  // the 32-pixel image exactly (an upsampler's low-resolution input matches the base's data).
  const int64_t samples = std::max<int64_t>(1, 512 / image_size_);
  return {render(s, image_size_, samples), caption(s)};
}

}  // namespace glide::training
