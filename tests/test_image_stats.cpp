// image_stats on synthetic images whose statistics are worked out by hand in the comments.
#include "glide/error.hpp"
#include "glide/image/stats.hpp"
#include "support/catch_torch.hpp"

using glide::image::image_stats;

namespace {

torch::Tensor gray(int64_t h, int64_t w, int value) {
  return torch::full({h, w, 3}, value, torch::kUInt8);
}

// Black and white squares of one pixel, white where (y + x) is even.
torch::Tensor checkerboard(int64_t size) {
  const torch::Tensor y = torch::arange(size).view({size, 1});
  const torch::Tensor x = torch::arange(size).view({1, size});
  const torch::Tensor white = ((y + x) % 2 == 0).to(torch::kUInt8) * 255;
  return white.unsqueeze(2).expand({size, size, 3}).contiguous();
}

}  // namespace

TEST_CASE("a flat gray image: its value everywhere, no contrast, no saturation, no edges",
          "[image]") {
  const auto s = image_stats(gray(5, 7, 51));  // 51 / 255 = 0.2
  for (double m : s.mean_rgb) CHECK(m == Approx(0.2));
  CHECK(s.mean_luminance == Approx(0.2));  // the luma weights sum to 1
  CHECK(s.contrast == Approx(0.0).margin(1e-12));
  CHECK(s.saturation == Approx(0.0).margin(1e-12));
  CHECK(s.sharpness == Approx(0.0).margin(1e-12));
}

TEST_CASE("a one-pixel checkerboard: mean 1/2, contrast 1/2, Laplacian +-4 so sharpness 16",
          "[image]") {
  // Inside the border every white pixel has 4 black neighbours (0 - 4 * 1 = -4) and every black
  // one 4 white neighbours (4 - 0 = 4); an even-sized interior holds as many of each: variance 16.
  for (int64_t size : {4, 6}) {
    const auto s = image_stats(checkerboard(size));
    CHECK(s.mean_luminance == Approx(0.5));
    CHECK(s.contrast == Approx(0.5));
    CHECK(s.saturation == Approx(0.0).margin(1e-12));
    CHECK(s.sharpness == Approx(16.0));
  }
}

TEST_CASE("pure red: channel means 1, 0, 0, luminance 0.299, saturation 1", "[image]") {
  torch::Tensor red = torch::zeros({3, 3, 3}, torch::kUInt8);
  red.select(2, 0).fill_(255);
  const auto s = image_stats(red);
  CHECK(s.mean_rgb[0] == Approx(1.0));
  CHECK(s.mean_rgb[1] == Approx(0.0).margin(1e-12));
  CHECK(s.mean_rgb[2] == Approx(0.0).margin(1e-12));
  CHECK(s.mean_luminance == Approx(0.299));
  CHECK(s.contrast == Approx(0.0).margin(1e-12));
  CHECK(s.saturation == Approx(1.0));
  CHECK(s.sharpness == Approx(0.0).margin(1e-12));
}

TEST_CASE("saturation averages (max - min) / max, black counting as 0", "[image]") {
  // Top row (200, 100, 100): (200 - 100) / 200 = 0.5; bottom row black: 0. Mean 0.25.
  torch::Tensor img = torch::zeros({2, 2, 3}, torch::kUInt8);
  img[0].select(1, 0).fill_(200);
  img[0].select(1, 1).fill_(100);
  img[0].select(1, 2).fill_(100);
  const auto s = image_stats(img);
  CHECK(s.saturation == Approx(0.25));
  CHECK(s.mean_rgb[0] == Approx(100.0 / 255));
  CHECK(s.mean_rgb[1] == Approx(50.0 / 255));
}

TEST_CASE("a vertical step edge and a single bright dot have known Laplacian variances",
          "[image]") {
  SECTION("edge: columns 0 0 1 1 over 3 rows") {
    // Interior pixels (1,1): 0+0+0+1-0 = 1 and (1,2): 1+1+0+1-4 = -1; variance 1. Half the
    // pixels are white: contrast 1/2.
    torch::Tensor img = torch::zeros({3, 4, 3}, torch::kUInt8);
    img.narrow(1, 2, 2).fill_(255);
    const auto s = image_stats(img);
    CHECK(s.sharpness == Approx(1.0));
    CHECK(s.contrast == Approx(0.5));
  }
  SECTION("dot: one white pixel in the middle of 5x5 black") {
    // Interior 3x3: -4 at the dot, +1 at its 4 neighbours, 0 at the corners. Mean 0, variance
    // (16 + 4 * 1) / 9 = 20/9. Luminance mean 1/25, variance 1/25 - 1/625 = 24/625.
    torch::Tensor img = torch::zeros({5, 5, 3}, torch::kUInt8);
    img[2][2].fill_(255);
    const auto s = image_stats(img);
    CHECK(s.sharpness == Approx(20.0 / 9));
    CHECK(s.mean_luminance == Approx(1.0 / 25));
    CHECK(s.contrast == Approx(std::sqrt(24.0 / 625)));
  }
  SECTION("images under 3x3 have no interior: sharpness 0") {
    CHECK(image_stats(checkerboard(2)).sharpness == 0.0);
  }
}

TEST_CASE("image_stats refuses what is not a uint8 (H, W, 3) image", "[image]") {
  using glide::Error;
  CHECK_THROWS_AS(image_stats(torch::zeros({4, 4, 3})), Error);
  CHECK_THROWS_AS(image_stats(torch::zeros({4, 4, 4}, torch::kUInt8)), Error);
  CHECK_THROWS_AS(image_stats(torch::zeros({0, 4, 3}, torch::kUInt8)), Error);
  CHECK_THROWS_AS(image_stats(torch::Tensor()), Error);
}
