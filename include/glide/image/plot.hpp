#pragma once

#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace glide::image {

// A line chart of a series against its index (e.g. a training loss per step): the raw values in
// light gray, their moving average over about 2% of the series in blue, a logarithmic y axis when
// `log_y` (values must then be positive), the title and the axis ranges printed in the built-in
// font. Returns uint8 (height, width, 3). Throws glide::Error(invalid_argument) for an empty
// series, a non-finite value, a non-positive value with log_y, or a size under 160x120.
torch::Tensor plot_series(const std::vector<double>& values, const std::string& title,
                          bool log_y = true, int64_t width = 640, int64_t height = 360);

}  // namespace glide::image
