// The shipped shapes model pair, judged by a simple analyser: does a generated image show the
// colors and the shape its prompt names? (issue: ≥ 90% colors, ≥ 75% shapes on 24 prompts × 2
// seeds from the training vocabulary). Prompts of held-out color/shape pairs are judged by a hidden
// test, run on demand: `test_semantic "[held-out]"`.
#include <fmt/format.h>

#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "glide/error.hpp"
#include "glide/pipeline/default_models.hpp"
#include "glide/pipeline/guided_sampler.hpp"
#include "glide/runtime.hpp"
#include "glide/training/shapes.hpp"
#include "support/catch_torch.hpp"
#include "support/shape_analysis.hpp"

using namespace glide;
using glide::training::HeldOut;
using glide::training::ShapesDataset;
using glide::training::ShapeSpec;

namespace {

struct Accuracy {
  int images = 0, color = 0, background = 0, shape = 0;
  double rate(int n) const { return images ? double(n) / images : 0.0; }
  std::string summary() const {
    return fmt::format("{} images: shape color {:.1f}%, background {:.1f}%, shape {:.1f}%", images,
                       100 * rate(color), 100 * rate(background), 100 * rate(shape));
  }
};

std::vector<ShapeSpec> prompts(HeldOut which, int count) {
  const ShapesDataset data(32, /*seed=*/2024, which);
  std::vector<ShapeSpec> specs;
  for (int i = 0; i < count; ++i) specs.push_back(data.spec(i));
  return specs;
}

Accuracy judge(GuidedSampler& sampler, const std::vector<ShapeSpec>& specs,
               const GenerationParams& base_params, const std::vector<uint64_t>& seeds) {
  Accuracy acc;
  for (uint64_t seed : seeds) {
    GenerationParams params = base_params;
    params.prompts.clear();
    for (const auto& s : specs) params.prompts.push_back(ShapesDataset::caption(s));
    params.batch_size = static_cast<int64_t>(specs.size());
    params.seed = seed;
    const GenerationResult result = sampler.generate(params);
    const torch::Tensor images = result.upsampled.defined() ? result.upsampled : result.base;
    for (size_t k = 0; k < specs.size(); ++k) {
      const auto reading = test::read_shape(images[static_cast<int64_t>(k)]);
      ++acc.images;
      acc.color += reading.color == specs[k].color;
      acc.background += reading.background == specs[k].background;
      acc.shape += reading.shape == specs[k].shape;
    }
  }
  return acc;
}

}  // namespace

TEST_CASE("the analyser reads the dataset's own images", "[semantic]") {
  for (int64_t size : {32, 128}) {
    const ShapesDataset data(size, 99, HeldOut::include);
    Accuracy acc;
    std::string misread;
    for (int64_t i = 0; i < 150; ++i) {
      const ShapeSpec s = data.spec(i);
      const torch::Tensor image = ((data.get(i).image + 1) * 127.5)
                                      .round()
                                      .clamp(0, 255)
                                      .to(torch::kUInt8)
                                      .permute({1, 2, 0});
      const auto reading = test::read_shape(image);
      ++acc.images;
      acc.color += reading.color == s.color;
      acc.background += reading.background == s.background;
      acc.shape += reading.shape == s.shape;
      if (reading.shape != s.shape) {
        misread += fmt::format("\n{} read as {} (fill {:.2f})", ShapesDataset::caption(s),
                               reading.shape, reading.fill_ratio);
      }
    }
    INFO(size << "px " << acc.summary() << misread);
    CHECK(acc.color == acc.images);
    CHECK(acc.background == acc.images);
    CHECK(acc.rate(acc.shape) >= 0.97);
  }
}

// The shipped pair, or nothing (with a warning) when this machine has none.
std::unique_ptr<GuidedSampler> shipped_sampler() {
  DefaultModelPaths paths;
  try {
    paths = default_model_paths();
  } catch (const Error& e) {
    WARN("skipped: " << e.what());
    return nullptr;
  }
  // The figures below were read at 2 threads (this machine's and CI's cores). LibTorch splits
  // its reductions by thread count, so the float sums, and with the margins this thin a reading,
  // could differ at another count: the tests pin it.
  set_num_threads(2);
  return std::make_unique<GuidedSampler>(load_stage_model(paths.base),
                                         load_stage_model(paths.upsampler));
}

// About 4 minutes at 2 threads. On these seeds the shipped pair reads 93.8% / 95.8% / 81.2% with
// the reference's sampling; over 6 seeds (144 images) 95.8% / 97.2% / 74.3%, so a retrained
// model can land on either side of the shape bar (docs/shapes-model.md).
TEST_CASE("the shipped shapes models draw what the prompt names", "[semantic][slow]") {
  const auto sampler = shipped_sampler();
  if (!sampler) return;
  const auto trained = prompts(HeldOut::exclude, 24);

  SECTION("with the reference's default sampling (100-step DDPM + fast27 DDIM)") {
    const GenerationParams params;
    const Accuracy acc = judge(*sampler, trained, params, {0, 1000});
    std::cout << "semantic, reference defaults, trained pairs: " << acc.summary() << "\n";
    CHECK(acc.images == 48);
    CHECK(acc.rate(acc.color) >= 0.90);
    CHECK(acc.rate(acc.background) >= 0.90);
    CHECK(acc.rate(acc.shape) >= 0.75);
  }
  // The fast path of docs/performance.md. The base takes the SDE solver: with the ODE one
  // (dpm++2m) its squares come out with rounded corners (shapes 70% against 78% over 144 images).
  SECTION("with DPM-Solver++(2M): 25 SDE base steps, 10 ODE upsampler steps") {
    GenerationParams params;
    params.base.sampler = "dpm++2m_sde";
    params.base.respacing = "25";
    params.upsampler.sampler = "dpm++2m";
    params.upsampler.respacing = "10";
    const Accuracy acc = judge(*sampler, trained, params, {0, 1000});
    std::cout << "semantic, dpm++2m_sde 25 + dpm++2m 10 steps, trained pairs: " << acc.summary()
              << "\n";
    CHECK(acc.rate(acc.color) >= 0.90);
    CHECK(acc.rate(acc.background) >= 0.90);
    CHECK(acc.rate(acc.shape) >= 0.75);
  }
}

// Pairs of color and shape the base never saw in a caption: a report, not a bar (the issue sets
// none), so it is hidden from the suite to keep CI short. docs/shapes-model.md has its figures.
TEST_CASE("the shipped shapes models on held-out color/shape pairs", "[.][semantic][held-out]") {
  const auto sampler = shipped_sampler();
  if (!sampler) return;
  const Accuracy unseen =
      judge(*sampler, prompts(HeldOut::only, 12), GenerationParams{}, {0, 1000});
  std::cout << "semantic, reference defaults, held-out pairs: " << unseen.summary() << "\n";
  CHECK(unseen.images == 24);
}
