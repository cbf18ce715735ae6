// The loss-curve plot: size, the series drawn where its values say, and refused inputs.
#include "glide/image/plot.hpp"
#include "support/catch_torch.hpp"
#include "support/require_error.hpp"

using glide::Status;
using glide::image::plot_series;
using glide::test::require_error;

namespace {

// Rows of column x holding the smoothed series' blue.
std::vector<int64_t> blue_rows(const torch::Tensor& plot, int64_t x) {
  std::vector<int64_t> rows;
  for (int64_t y = 0; y < plot.size(0); ++y) {
    if (plot[y][x][0].item<int>() == 30 && plot[y][x][2].item<int>() == 200) rows.push_back(y);
  }
  return rows;
}

}  // namespace

TEST_CASE("a falling series is drawn falling", "[image][plot]") {
  std::vector<double> loss;
  for (int i = 0; i < 1000; ++i) loss.push_back(1.0 / (1 + i));
  const torch::Tensor plot = plot_series(loss, "loss", /*log_y=*/true, 400, 200);
  REQUIRE(plot.sizes() == torch::IntArrayRef({200, 400, 3}));
  REQUIRE(plot.scalar_type() == torch::kUInt8);
  const auto early = blue_rows(plot, 75), late = blue_rows(plot, 380);
  REQUIRE(!early.empty());
  REQUIRE(!late.empty());
  CHECK(early.front() < late.front());  // image rows grow downwards
}

TEST_CASE("plot_series refuses what it cannot draw", "[image][plot]") {
  require_error([] { plot_series({}, "x"); }, "empty", Status::invalid_argument);
  require_error(
      [] {
        plot_series({1.0, 0.0}, "x", true);
      },
      "logarithmic", Status::invalid_argument);
  require_error(
      [] {
        plot_series({1.0, std::nan("")}, "x", false);
      },
      "cannot be plotted", Status::invalid_argument);
  require_error([] { plot_series({1.0}, "x", false, 100, 100); }, "too small",
                Status::invalid_argument);
  const torch::Tensor flat = plot_series({2.0, 2.0, 2.0}, "flat", false, 160, 120);
  CHECK(flat.size(0) == 120);
}
