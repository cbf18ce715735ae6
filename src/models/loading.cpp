#include "glide/models/loading.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "glide/error.hpp"
#include "models/layer_init.hpp"

namespace glide {
namespace {

std::string shape_of(const StateDict& state, const std::string& key) {
  if (!state.contains(key)) return "missing";
  return fmt::format("[{}]", fmt::join(state.at(key).sizes(), ", "));
}

// Cheap checks before building a candidate: the input convolution (channels and variant) and the
// text embeddings. Empty when they fit, else why not.
std::string quick_mismatch(const StateDict& state, const ModelConfig& c) {
  // The first convolution makes the first level's channels: num_channels times its multiplier.
  const int64_t first_level = c.num_channels * c.channel_multipliers().at(0);
  const std::pair<std::string, std::vector<int64_t>> expected[] = {
      {"input_blocks.0.0.weight", {first_level, c.in_channels(), 3, 3}},
      {"token_embedding.weight", {c.n_vocab, c.xf_width}},
      {"positional_embedding", {c.text_ctx, c.xf_width}}};
  for (const auto& [key, shape] : expected) {
    if (!state.contains(key) || state.at(key).sizes() != at::IntArrayRef(shape)) {
      return fmt::format("{} is {}, expected [{}]", key, shape_of(state, key),
                         fmt::join(shape, ", "));
    }
  }
  return {};
}

Text2ImUNet build(const ModelConfig& config, const StateDict& state) {
  // Every weight is about to be overwritten (load_state_dict requires them all): skip the init.
  Text2ImUNet model = [&] {
    const models::SkipWeightInit skip;
    return Text2ImUNet(config);
  }();
  load_state_dict(*model, state);
  model->eval();
  return model;
}

}  // namespace

std::vector<NamedModelConfig> official_model_configs() {
  return {{"base", ModelConfig::base()},
          {"upsample", ModelConfig::upsampler()},
          {"base-inpaint", ModelConfig::base_inpaint()},
          {"upsample-inpaint", ModelConfig::upsampler_inpaint()}};
}

Text2ImUNet load_model(const std::string& path, std::optional<ModelConfig> config) {
  return load_model(load_checkpoint(path), path, std::move(config));
}

Text2ImUNet load_model(const Checkpoint& checkpoint, const std::string& source,
                       std::optional<ModelConfig> config,
                       const std::vector<NamedModelConfig>& presets,
                       const std::string& config_source) {
  if (checkpoint.metadata.count(kTrainingMetadataKey) != 0) {
    throw Error(Status::invalid_argument,
                fmt::format("{} is a training checkpoint (weights, their averages and the "
                            "optimizer's state), not a model file; make one from it with glide "
                            "train ... --export MODEL.safetensors (in C++, Trainer::export_model)",
                            source));
  }
  const StateDict& state = checkpoint.tensors;
  // Weights that fit but hold NaN (load_state_dict: invalid_format) are the file's fault, not
  // the config's: they are named as such, and no other preset is tried for them.
  const auto refuse_unusable = [&](const Error& e) {
    if (e.status() == Status::invalid_format) {
      throw Error(e.status(), fmt::format("{}: {}", source, e.what()));
    }
  };
  // `unfit`: what the weights do not fit, "the model config from ...".
  const auto rethrow = [&](const Error& e, const std::string& unfit) -> Text2ImUNet {
    refuse_unusable(e);
    throw Error(e.status(),
                fmt::format("{}: the weights do not fit {}: {}", source, unfit, e.what()));
  };
  if (config) {
    // A file of another model (an upsampler given the base's config) is told by a few shapes,
    // before building a model of hundreds of megabytes to compare the rest with.
    if (const std::string why = quick_mismatch(state, *config); !why.empty()) {
      throw Error(Status::invalid_argument,
                  fmt::format("{}: the weights do not fit {}: {}", source, config_source, why));
    }
    try {
      return build(*config, state);
    } catch (const Error& e) {
      return rethrow(e, config_source);
    }
  }
  if (const auto it = checkpoint.metadata.find(kModelConfigMetadataKey);
      it != checkpoint.metadata.end()) {
    ModelConfig from_metadata;
    try {
      from_metadata = ModelConfig::from_json(it->second);
    } catch (const Error& e) {
      throw Error(e.status(), fmt::format("{}: metadata {} is not a valid model config: {}", source,
                                          kModelConfigMetadataKey, e.what()));
    }
    try {
      return build(from_metadata, state);
    } catch (const Error& e) {
      return rethrow(e, fmt::format("the model config from metadata {}", kModelConfigMetadataKey));
    }
  }
  std::vector<std::string> tried;
  for (const auto& [name, candidate] : presets) {
    if (const std::string why = quick_mismatch(state, candidate); !why.empty()) {
      tried.push_back(fmt::format("{}: {}", name, why));
      continue;
    }
    try {
      return build(candidate, state);
    } catch (const Error& e) {
      refuse_unusable(e);
      tried.push_back(fmt::format("{}: {}", name, e.what()));
    }
  }
  throw Error(
      Status::invalid_format,
      fmt::format("{}: no model config given, no {} metadata, and the {} tensors match no "
                  "preset: give the model's config (a JSON object of its options, with "
                  "its diffusion_steps, noise_schedule and prediction where not the "
                  "official ones) as --model-config (or --upsampler-model-config) FILE on the "
                  "command line, config= in "
                  "Python, or params->base_config / upsampler_config in C; tried {}",
                  source, kModelConfigMetadataKey, state.size(), fmt::join(tried, "; ")));
}

}  // namespace glide
