#include "glide/image/plot.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "glide/error.hpp"
#include "glide/image/draw.hpp"

namespace glide::image {

namespace {

struct Canvas {
  torch::Tensor pixels;
  void set(int64_t x, int64_t y, Rgb c) {
    if (x < 0 || y < 0 || y >= pixels.size(0) || x >= pixels.size(1)) return;
    auto p = pixels.accessor<uint8_t, 3>();
    for (int64_t k = 0; k < 3; ++k) p[y][x][k] = c[static_cast<size_t>(k)];
  }
  // Joins consecutive points by vertical runs, one column apart: enough for a dense series.
  void polyline(const std::vector<double>& ys, int64_t x0, Rgb c) {
    for (size_t i = 0; i < ys.size(); ++i) {
      const auto y = static_cast<int64_t>(std::lround(ys[i]));
      const auto prev = i == 0 ? y : static_cast<int64_t>(std::lround(ys[i - 1]));
      for (int64_t v = std::min(y, prev); v <= std::max(y, prev); ++v) {
        set(x0 + static_cast<int64_t>(i), v, c);
      }
    }
  }
};

std::vector<double> moving_average(const std::vector<double>& v, size_t window) {
  std::vector<double> out(v.size());
  double sum = 0;
  for (size_t i = 0; i < v.size(); ++i) {
    sum += v[i];
    if (i >= window) sum -= v[i - window];
    out[i] = sum / static_cast<double>(std::min(i + 1, window));
  }
  return out;
}

// The series resampled to `columns` points by averaging the values falling in each column.
std::vector<double> per_column(const std::vector<double>& v, int64_t columns) {
  std::vector<double> out(static_cast<size_t>(columns));
  const double n = static_cast<double>(v.size());
  for (int64_t c = 0; c < columns; ++c) {
    auto begin = static_cast<size_t>(std::floor(n * static_cast<double>(c) / columns));
    auto end = static_cast<size_t>(std::floor(n * static_cast<double>(c + 1) / columns));
    begin = std::min(begin, v.size() - 1);
    end = std::clamp(end, begin + 1, v.size());
    double sum = 0;
    for (size_t i = begin; i < end; ++i) sum += v[i];
    out[static_cast<size_t>(c)] = sum / static_cast<double>(end - begin);
  }
  return out;
}

}  // namespace

torch::Tensor plot_series(const std::vector<double>& values, const std::string& title, bool log_y,
                          int64_t width, int64_t height) {
  if (values.empty()) throw Error(Status::invalid_argument, "plot_series: the series is empty");
  if (width < 160 || height < 120) {
    throw Error(Status::invalid_argument,
                fmt::format("plot_series: size {}x{} is too small; expected at least 160x120",
                            width, height));
  }
  for (double v : values) {
    if (!std::isfinite(v) || (log_y && v <= 0)) {
      throw Error(Status::invalid_argument, fmt::format("plot_series: value {} cannot be plotted{}",
                                                        v, log_y ? " on a logarithmic axis" : ""));
    }
  }
  const auto transform = [&](double v) { return log_y ? std::log10(v) : v; };
  Canvas canvas{torch::full({height, width, 3}, 255, torch::kUInt8)};
  const int64_t left = 70, right = 10, top = 24, bottom = 24;
  const int64_t plot_w = width - left - right, plot_h = height - top - bottom;

  const auto smooth = moving_average(values, std::max<size_t>(1, values.size() / 50));
  const auto raw_cols = per_column(values, std::min<int64_t>(plot_w, values.size()));
  const auto smooth_cols = per_column(smooth, std::min<int64_t>(plot_w, values.size()));
  const auto [lo_it, hi_it] = std::minmax_element(raw_cols.begin(), raw_cols.end());
  double lo = transform(*lo_it), hi = transform(*hi_it);
  if (hi - lo < 1e-12) {
    lo -= 0.5;
    hi += 0.5;
  }
  const auto to_y = [&](double v) {
    return static_cast<double>(top + plot_h - 1) -
           (transform(v) - lo) / (hi - lo) * static_cast<double>(plot_h - 1);
  };
  const double x_scale = static_cast<double>(plot_w) / static_cast<double>(raw_cols.size());
  const auto spread = [&](const std::vector<double>& cols) {
    std::vector<double> ys(static_cast<size_t>(plot_w));
    for (int64_t x = 0; x < plot_w; ++x) {
      const auto i = std::min(cols.size() - 1, static_cast<size_t>(x / x_scale));
      ys[static_cast<size_t>(x)] = to_y(cols[i]);
    }
    return ys;
  };
  canvas.polyline(spread(raw_cols), left, {200, 200, 200});
  canvas.polyline(spread(smooth_cols), left, {30, 70, 200});
  for (int64_t x = left - 1; x < left + plot_w; ++x) canvas.set(x, top + plot_h, {0, 0, 0});
  for (int64_t y = top; y <= top + plot_h; ++y) canvas.set(left - 1, y, {0, 0, 0});

  const auto label = [&](double v) { return fmt::format("{:.4g}", log_y ? std::pow(10.0, v) : v); };
  draw_text(canvas.pixels, title, left, 6);
  draw_text(canvas.pixels, label(hi), 4, top);
  draw_text(canvas.pixels, label(lo), 4, top + plot_h - kCellHeight);
  draw_text(canvas.pixels, "0", left, top + plot_h + 6);
  const std::string n = std::to_string(values.size());
  draw_text(canvas.pixels, n, left + plot_w - text_size(n).width, top + plot_h + 6);
  if (log_y) draw_text(canvas.pixels, "(log)", 4, top + plot_h / 2);
  return canvas.pixels;
}

}  // namespace glide::image
