#pragma once

#include <optional>
#include <string>
#include <vector>

#include "glide/io/checkpoint.hpp"
#include "glide/models/config.hpp"
#include "glide/models/text2im_unet.hpp"

namespace glide {

// The safetensors metadata key holding a ModelConfig as JSON (ModelConfig::to_json()).
inline constexpr const char* kModelConfigMetadataKey = "glide.model_config";
// The key that marks a training checkpoint (glide train's, training/trainer.hpp): not a model
// file, load_model refuses it and points to the export.
inline constexpr const char* kTrainingMetadataKey = "glide.training";

struct NamedModelConfig {
  std::string name;
  ModelConfig config;
};
// The four official models: "base", "upsample", "base-inpaint", "upsample-inpaint".
std::vector<NamedModelConfig> official_model_configs();

// Builds a model from a checkpoint (.pt or .safetensors) and loads its weights (float32, CPU,
// eval mode). The config is `config` when given, else the JSON under kModelConfigMetadataKey in
// the safetensors metadata, else the one of the official presets whose keys and shapes the state
// dict has (official .pt files carry no config). A glide::Error names the file and, when no
// config fits, lists each one tried and why it was rejected; a training checkpoint is refused
// (invalid_argument) with the way to export its model.
Text2ImUNet load_model(const std::string& path, std::optional<ModelConfig> config = std::nullopt);

// The same for a checkpoint already read; `source` names it in errors. `presets` are the
// candidates for inference (the official ones by default). `config_source` names where `config`
// came from when the weights do not fit it ("model config 'x.json'", "base_config").
Text2ImUNet load_model(const Checkpoint& checkpoint, const std::string& source,
                       std::optional<ModelConfig> config = std::nullopt,
                       const std::vector<NamedModelConfig>& presets = official_model_configs(),
                       const std::string& config_source = "the model config from the caller");

}  // namespace glide
