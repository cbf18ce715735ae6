// The synthetic shapes dataset: determinism, vocabulary, held-out pairs and anti-aliased coverage.
#include <cmath>
#include <set>

#include "glide/training/shapes.hpp"
#include "support/catch_torch.hpp"
#include "support/require_error.hpp"

using glide::training::HeldOut;
using glide::training::ShapesDataset;
using glide::training::ShapeSpec;

namespace {

// Fraction of the image the shape covers, from the rendered pixels: the image is a blend
// coverage·fg + (1 − coverage)·bg, so the red channel gives coverage back.
double rendered_coverage(const ShapeSpec& spec, int64_t size, int64_t samples) {
  const torch::Tensor image = ShapesDataset::render(spec, size, samples);
  double fg = 0, bg = 0;
  for (const auto& c : ShapesDataset::colors()) {
    if (c.name == spec.color) fg = c.rgb[0] / 127.5 - 1.0;
    if (c.name == spec.background) bg = c.rgb[0] / 127.5 - 1.0;
  }
  return ((image[0] - bg) / (fg - bg)).mean().item<double>();
}

}  // namespace

TEST_CASE("shapes images are a function of seed and index", "[training][shapes]") {
  const ShapesDataset a(32, 7), b(32, 7), other(32, 8);
  for (int64_t i : {0, 1, 99}) {
    const auto x = a.get(i), y = b.get(i);
    CHECK(x.caption == y.caption);
    CHECK(torch::equal(x.image, y.image));
  }
  int differing = 0;
  for (int64_t i = 0; i < 20; ++i) differing += a.get(i).caption != other.get(i).caption;
  CHECK(differing > 10);
  const auto example = a.get(3);
  CHECK(example.image.sizes() == torch::IntArrayRef({3, 32, 32}));
  CHECK(example.image.min().item<float>() >= -1.0f);
  CHECK(example.image.max().item<float>() <= 1.0f);
}

TEST_CASE("shapes captions cover the vocabulary and never name one color twice",
          "[training][shapes]") {
  const ShapesDataset data(16, 0, HeldOut::include);
  for (int64_t i = 0; i < 40; ++i) {
    const ShapeSpec s = data.spec(i);
    CHECK(data.get(i).caption ==
          "a " + s.color + " " + s.shape + " on a " + s.background + " background");
  }
  std::set<std::string> shapes, colors, backgrounds;
  for (int64_t i = 0; i < 2000; ++i) {
    const ShapeSpec s = data.spec(i);
    CHECK(s.color != s.background);
    CHECK(s.center_x - s.extent / 2 >= 0.0);
    CHECK(s.center_y + s.extent / 2 <= 1.0);
    shapes.insert(s.shape);
    colors.insert(s.color);
    backgrounds.insert(s.background);
  }
  CHECK(shapes == std::set<std::string>{"circle", "square", "triangle"});
  CHECK(colors.size() >= 6);
  for (const char* c : {"red", "green", "blue", "yellow"}) CHECK(colors.count(c) == 1);
  CHECK(backgrounds == colors);
}

TEST_CASE("held-out color/shape pairs are excluded from training and drawn alone on request",
          "[training][shapes]") {
  const ShapesDataset train(16, 0, HeldOut::exclude), held(16, 0, HeldOut::only);
  REQUIRE(!ShapesDataset::held_out_pairs().empty());
  for (int64_t i = 0; i < 3000; ++i) {
    const ShapeSpec s = train.spec(i);
    CHECK_FALSE(ShapesDataset::is_held_out(s.color, s.shape));
    const ShapeSpec h = held.spec(i);
    CHECK(ShapesDataset::is_held_out(h.color, h.shape));
  }
}

TEST_CASE("shapes are anti-aliased with the exact area of each shape", "[training][shapes]") {
  ShapeSpec spec;
  spec.color = "red";
  spec.background = "blue";
  spec.center_x = 0.5;
  spec.center_y = 0.5;
  spec.extent = 0.6;
  const double box = spec.extent * spec.extent;
  spec.shape = "square";
  CHECK(rendered_coverage(spec, 64, 8) == Approx(box).epsilon(0.01));
  spec.shape = "circle";
  CHECK(rendered_coverage(spec, 64, 8) == Approx(M_PI / 4 * box).epsilon(0.01));
  spec.shape = "triangle";
  CHECK(rendered_coverage(spec, 64, 8) == Approx(0.5 * box).epsilon(0.01));
  // Edges are blended: some pixels are neither colour.
  const torch::Tensor image = ShapesDataset::render(spec, 32, 4);
  const torch::Tensor red = image[0];
  const double fg = 220 / 127.5 - 1, bg = 30 / 127.5 - 1;
  const auto partial = ((red > bg + 0.05) & (red < fg - 0.05)).sum().item<int64_t>();
  CHECK(partial > 10);
}

TEST_CASE("a high-resolution shape average-pooled matches the low-resolution one",
          "[training][shapes]") {
  // The upsampler's low-res inputs are pooled from its 128-pixel targets; they must look like the
  // base model's 32-pixel training images.
  const ShapesDataset low(32, 3), high(128, 3);
  for (int64_t i : {0, 5}) {
    const torch::Tensor pooled = torch::avg_pool2d(high.get(i).image.unsqueeze(0), 4).squeeze(0);
    CHECK(torch::allclose(pooled, low.get(i).image, /*rtol=*/0, /*atol=*/1e-5));
  }
}

TEST_CASE("shapes rendering rejects unknown names and sizes", "[training][shapes]") {
  ShapeSpec spec;
  spec.shape = "hexagon";
  spec.color = "red";
  spec.background = "blue";
  glide::test::require_error([&] { ShapesDataset::render(spec, 8, 1); }, "hexagon",
                             glide::Status::invalid_argument);
  spec.shape = "circle";
  spec.color = "mauve";
  glide::test::require_error([&] { ShapesDataset::render(spec, 8, 1); }, "mauve",
                             glide::Status::invalid_argument);
  glide::test::require_error([] { ShapesDataset(4); }, "image_size=4",
                             glide::Status::invalid_argument);
}
