#pragma once

// glide sweep's CSV: one row per cell with every generation parameter, the wall time and the
// final image's statistics (glide/image/stats.hpp).
#include <string>
#include <vector>

#include "glide/image/stats.hpp"
#include "sweep_plan.hpp"

namespace glide::cli {

// A CSV field, quoted (RFC 4180) when it holds a comma, a quote or a line break; text that a
// spreadsheet would run as a formula (starting with = + - @, not a number) gets a leading '.
std::string csv_field(const std::string& text);

// The header line's fields: cell, row, column, every parameter (param_fields() order), seconds,
// mean_r, mean_g, mean_b, mean_luminance, contrast, saturation, sharpness, width, height, error.
std::vector<std::string> sweep_csv_header();
// A cell's row: `stats` of its image, or nullptr with `error` (why it made none) for a cell that
// failed; then the statistics are empty.
std::vector<std::string> sweep_csv_row(int64_t index, const SweepCell& cell, double seconds,
                                       const image::ImageStats* stats, int64_t width,
                                       int64_t height, const std::string& error = "");

// Fields joined by commas (quoted as needed), ending in "\n".
std::string csv_line(const std::vector<std::string>& fields);

}  // namespace glide::cli
