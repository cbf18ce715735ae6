#pragma once

#include <optional>
#include <string>

#include "glide/models/config.hpp"
#include "glide/pipeline/stage_model.hpp"

// The networks `glide bench` times: official-shaped (or tiny) models with random weights, or
// checkpoints.
namespace glide::cli::bench {

struct ModelChoice {
  std::string preset = "official";  // "official" or "tiny": the shapes used without a checkpoint
  std::string base_path;            // a checkpoint replacing the random base model
  std::string upsampler_path;       // a checkpoint replacing the random upsampler
  bool need_base = true;
  bool need_upsampler = true;
};

struct BenchModel {
  StageModel stage;
  std::string source;                     // "random weights, official base shape" or the path
  std::optional<double> gflop_per_image;  // one network evaluation of one image, when known
};

struct BenchModels {
  BenchModel base, upsampler;  // a model not needed has stage.model == nullptr
};

// GFLOP per image per network evaluation of the official base (64×64) and upsampler (256×256)
// shapes (the counts in shared DESIGN notes); nullopt for other shapes.
std::optional<double> official_gflop_per_image(const ModelConfig& config);

// Builds (seeded random weights) or loads the models; throws glide::Error naming --model or
// --upsampler-model when a checkpoint is not the kind of model that flag takes.
BenchModels make_models(const ModelChoice& choice);

}  // namespace glide::cli::bench
