#include "bench_models.hpp"

#include <fmt/format.h>
#include <torch/utils.h>

#include "glide/error.hpp"

namespace glide::cli::bench {
namespace {

// Equal up to dropout, which does not change the work of a forward pass.
bool same_shape(ModelConfig a, ModelConfig b) {
  a.dropout = b.dropout = 0.0;
  return a.to_json() == b.to_json();
}

BenchModel random_model(const ModelConfig& config, const std::string& preset) {
  torch::manual_seed(0);  // the same weights on every run
  BenchModel m;
  m.stage.model = Text2ImUNet(config);
  m.stage.model->eval();
  m.stage.diffusion = default_diffusion_config(config);
  m.source =
      fmt::format("random weights, {} {} shape", preset, config.super_res ? "upsampler" : "base");
  m.gflop_per_image = official_gflop_per_image(config);
  return m;
}

BenchModel checkpoint_model(const std::string& path, const char* flag, bool super_res) {
  BenchModel m;
  m.stage = load_stage_model(path);
  const ModelConfig& c = m.stage.model->config();
  if (c.super_res != super_res || c.inpaint) {
    throw Error(
        Status::invalid_argument,
        fmt::format("{} {}: the checkpoint holds {} model (super_res={}, inpaint={}); "
                    "{} takes {}",
                    flag, path, c.super_res ? "an upsampler" : "a base", c.super_res, c.inpaint,
                    flag,
                    super_res ? "a text-conditional upsampler" : "a text-to-image base model"));
  }
  m.source = path;
  m.gflop_per_image = official_gflop_per_image(c);
  return m;
}

}  // namespace

std::optional<double> official_gflop_per_image(const ModelConfig& config) {
  // Counted for the full-size networks (DESIGN.md): about 238 GFLOP per image per step at 64×64
  // for the base model, 1,280 at 256×256 for the upsampler.
  if (same_shape(config, ModelConfig::base())) return 238.0;
  if (same_shape(config, ModelConfig::upsampler())) return 1280.0;
  return std::nullopt;
}

BenchModels make_models(const ModelChoice& choice) {
  if (choice.preset != "official" && choice.preset != "tiny") {
    throw Error(Status::invalid_argument,
                fmt::format("--preset {} is unknown; expected official or tiny", choice.preset));
  }
  const bool tiny = choice.preset == "tiny";
  BenchModels models;
  if (choice.need_base) {
    models.base =
        choice.base_path.empty()
            ? random_model(tiny ? ModelConfig::tiny_base() : ModelConfig::base(), choice.preset)
            : checkpoint_model(choice.base_path, "--model", /*super_res=*/false);
  }
  if (choice.need_upsampler) {
    models.upsampler =
        choice.upsampler_path.empty()
            ? random_model(tiny ? ModelConfig::tiny_upsampler() : ModelConfig::upsampler(),
                           choice.preset)
            : checkpoint_model(choice.upsampler_path, "--upsampler-model", /*super_res=*/true);
  }
  return models;
}

}  // namespace glide::cli::bench
