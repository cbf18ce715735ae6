#include "support/shape_analysis.hpp"

#include <algorithm>
#include <limits>
#include <vector>

#include "glide/training/shapes.hpp"

namespace glide::test {

namespace {

using Rgb = std::array<double, 3>;

double distance2(const Rgb& a, const Rgb& b) {
  double d = 0;
  for (size_t k = 0; k < 3; ++k) d += (a[k] - b[k]) * (a[k] - b[k]);
  return d;
}

std::string nearest_color(const Rgb& rgb) {
  std::string best;
  double best_d = std::numeric_limits<double>::infinity();
  for (const auto& c : training::ShapesDataset::colors()) {
    const double d = distance2(rgb, {double(c.rgb[0]), double(c.rgb[1]), double(c.rgb[2])});
    if (d < best_d) {
      best_d = d;
      best = c.name;
    }
  }
  return best;
}

Rgb median(std::vector<Rgb>& pixels) {
  Rgb out{};
  for (size_t k = 0; k < 3; ++k) {
    std::vector<double> channel;
    channel.reserve(pixels.size());
    for (const auto& p : pixels) channel.push_back(p[k]);
    std::nth_element(channel.begin(), channel.begin() + channel.size() / 2, channel.end());
    out[k] = channel[channel.size() / 2];
  }
  return out;
}

// Indices (y·w + x) of the largest 8-connected set of marked pixels; empty when none is marked.
std::vector<int64_t> largest_region(std::vector<uint8_t> marked, int64_t h, int64_t w) {
  std::vector<int64_t> best, region, stack;
  for (int64_t start = 0; start < h * w; ++start) {
    if (!marked[start]) continue;
    region.clear();
    stack.assign(1, start);
    marked[start] = 0;
    while (!stack.empty()) {
      const int64_t index = stack.back();
      stack.pop_back();
      region.push_back(index);
      const int64_t y = index / w, x = index % w;
      for (int64_t dy = -1; dy <= 1; ++dy) {
        for (int64_t dx = -1; dx <= 1; ++dx) {
          const int64_t ny = y + dy, nx = x + dx;
          if (ny < 0 || ny >= h || nx < 0 || nx >= w || !marked[ny * w + nx]) continue;
          marked[ny * w + nx] = 0;
          stack.push_back(ny * w + nx);
        }
      }
    }
    if (region.size() > best.size()) best = region;
  }
  return best;
}

}  // namespace

ShapeReading read_shape(const torch::Tensor& image) {
  const torch::Tensor pixels = image.to(torch::kCPU).contiguous();
  const auto a = pixels.accessor<uint8_t, 3>();
  const int64_t h = pixels.size(0), w = pixels.size(1);
  const auto at = [&](int64_t y, int64_t x) {
    return Rgb{double(a[y][x][0]), double(a[y][x][1]), double(a[y][x][2])};
  };

  std::vector<Rgb> border;
  for (int64_t x = 0; x < w; ++x) {
    border.push_back(at(0, x));
    border.push_back(at(h - 1, x));
  }
  for (int64_t y = 1; y + 1 < h; ++y) {
    border.push_back(at(y, 0));
    border.push_back(at(y, w - 1));
  }
  const Rgb background = median(border);
  ShapeReading reading;
  reading.background = nearest_color(background);

  // Foreground: farther from the background than 45 RGB levels. The closest palette pair (yellow
  // and orange) is 81 apart, so this keeps pixels at least about half covered by the shape.
  constexpr double kThreshold2 = 45.0 * 45.0;
  std::vector<uint8_t> far(static_cast<size_t>(h * w), 0);
  for (int64_t y = 0; y < h; ++y) {
    for (int64_t x = 0; x < w; ++x) far[y * w + x] = distance2(at(y, x), background) > kThreshold2;
  }
  // The shape is the largest 8-connected region of such pixels: a stray pixel elsewhere (a
  // generated image's corner, a speck) would otherwise stretch the bounding box.
  const std::vector<int64_t> region = largest_region(far, h, w);
  std::vector<Rgb> foreground;
  int64_t top = h, bottom = -1, left = w, right = -1;
  for (const int64_t index : region) {
    const int64_t y = index / w, x = index % w;
    foreground.push_back(at(y, x));
    top = std::min(top, y);
    bottom = std::max(bottom, y);
    left = std::min(left, x);
    right = std::max(right, x);
  }
  reading.foreground_pixels = static_cast<int64_t>(foreground.size());
  if (foreground.empty()) {
    reading.color = "none";
    reading.shape = "none";
    return reading;
  }
  reading.color = nearest_color(median(foreground));
  const double box = double(bottom - top + 1) * double(right - left + 1);
  reading.fill_ratio = double(foreground.size()) / box;
  reading.shape = reading.fill_ratio >= 0.89   ? "square"
                  : reading.fill_ratio >= 0.64 ? "circle"
                                               : "triangle";
  return reading;
}

}  // namespace glide::test
