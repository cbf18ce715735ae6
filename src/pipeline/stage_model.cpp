#include "glide/pipeline/stage_model.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "glide/error.hpp"
#include "glide/io/files.hpp"
#include "glide/models/loading.hpp"
#include "io/json_text.hpp"

namespace glide {

DiffusionConfig default_diffusion_config(const ModelConfig& config) {
  DiffusionConfig d;
  d.diffusion_steps = 1000;
  d.noise_schedule = config.super_res ? "linear" : "squaredcos_cap_v2";
  return d;
}

DiffusionConfig diffusion_config_from_json(const std::string& json_text,
                                           const DiffusionConfig& defaults) {
  const nlohmann::json j =
      detail::parse_json(json_text, "diffusion config", Status::invalid_format);
  if (!j.is_object()) {
    throw Error(Status::invalid_format, "diffusion config JSON must be an object of option names");
  }
  DiffusionConfig d = defaults;
  for (const auto& [key, value] : j.items()) {
    const bool ok = key == "diffusion_steps"      ? value.is_number_integer()
                    : key == "noise_schedule"     ? value.is_string()
                    : key == "timestep_respacing" ? value.is_string()
                    : key == "prediction"         ? value.is_string()
                                                  : false;
    if (!ok) {
      throw Error(
          Status::invalid_format,
          fmt::format("diffusion config option \"{}\" = {} is unknown or of the wrong type; "
                      "expected diffusion_steps (integer), noise_schedule, "
                      "timestep_respacing, prediction (strings)",
                      key, value.dump()));
    }
    if (key == "diffusion_steps") d.diffusion_steps = value.get<int64_t>();
    if (key == "noise_schedule") d.noise_schedule = value.get<std::string>();
    if (key == "timestep_respacing") d.timestep_respacing = value.get<std::string>();
    if (key == "prediction") d.prediction = value.get<std::string>();
  }
  try {
    d.validate();
  } catch (const Error& e) {
    throw Error(Status::invalid_format, fmt::format("diffusion config: {}", e.what()));
  }
  return d;
}

std::optional<DiffusionConfig> diffusion_config_in_options(const std::string& options_json,
                                                           const DiffusionConfig& defaults) {
  const nlohmann::json options =
      detail::parse_json(options_json, "model options", Status::invalid_argument);
  nlohmann::json diffusion = nlohmann::json::object();
  if (options.is_object()) {
    for (const char* key : {"diffusion_steps", "noise_schedule", "prediction"}) {
      if (options.contains(key)) diffusion[key] = options[key];
    }
  }
  if (diffusion.empty()) return std::nullopt;
  try {
    return diffusion_config_from_json(diffusion.dump(), defaults);
  } catch (const Error& e) {
    // Options are the caller's input, not a file's metadata: a bad value is a bad argument.
    throw Error(Status::invalid_argument, e.what());
  }
}

DiffusionConfig diffusion_config_for(const ModelConfig& model, const std::string& options_json) {
  const DiffusionConfig defaults = default_diffusion_config(model);
  return diffusion_config_in_options(options_json, defaults).value_or(defaults);
}

ModelOptionsFile read_model_options_file(const std::string& path) {
  std::string text;
  try {
    text = io::read_file(path);
  } catch (const Error& e) {
    throw Error(e.status(), fmt::format("model config: {}", e.what()));
  }
  return model_options_from_text(text, path);
}

ModelOptionsFile model_options_from_text(const std::string& text, const std::string& path) {
  try {
    ModelOptionsFile file;
    file.model = ModelConfig::from_json(text);
    file.model.validate();
    file.diffusion = diffusion_config_in_options(text, default_diffusion_config(file.model));
    return file;
  } catch (const Error& e) {
    throw Error(e.status(), fmt::format("model config '{}': {}", path, e.what()));
  }
}

std::string diffusion_config_to_json(const DiffusionConfig& config) {
  nlohmann::ordered_json j;
  j["diffusion_steps"] = config.diffusion_steps;
  j["noise_schedule"] = config.noise_schedule;
  if (!config.timestep_respacing.empty()) j["timestep_respacing"] = config.timestep_respacing;
  // Written only when it is not GLIDE's, so eps models' metadata and recipes stay as they were.
  if (config.prediction != "epsilon") j["prediction"] = config.prediction;
  return j.dump();
}

DiffusionConfig checkpoint_diffusion(const Checkpoint& checkpoint, const std::string& path,
                                     const ModelConfig& model) {
  const auto it = checkpoint.metadata.find(kDiffusionConfigMetadataKey);
  if (it == checkpoint.metadata.end()) return default_diffusion_config(model);
  try {
    return diffusion_config_from_json(it->second);
  } catch (const Error& e) {
    throw Error(e.status(),
                fmt::format("{}: metadata {}: {}", path, kDiffusionConfigMetadataKey, e.what()));
  }
}

StageModel load_stage_model(const std::string& path, std::optional<ModelConfig> config,
                            std::optional<DiffusionConfig> diffusion) {
  const Checkpoint checkpoint = load_checkpoint(path);
  StageModel stage;
  stage.model = load_model(checkpoint, path, std::move(config));
  stage.diffusion =
      diffusion ? *diffusion : checkpoint_diffusion(checkpoint, path, stage.model->config());
  return stage;
}

DiffusionConfig diffusion_options_over(const std::string& options_json,
                                       const DiffusionConfig& under, const std::string& source) {
  if (options_json.empty()) return under;
  try {
    return diffusion_config_in_options(options_json, under).value_or(under);
  } catch (const Error& e) {
    throw Error(e.status(), fmt::format("{}: {}", source, e.what()));
  }
}

StageModel stage_model_with_options(const Checkpoint& checkpoint, const std::string& path,
                                    std::optional<ModelConfig> model,
                                    const std::string& diffusion_options,
                                    const std::string& source) {
  diffusion_options_over(diffusion_options, DiffusionConfig{}, source);
  // The advice is for options naming diffusion and no model option (not for "{}").
  const bool diffusion_only =
      !model && !diffusion_options.empty() &&
      diffusion_config_in_options(diffusion_options, DiffusionConfig{}).has_value();
  StageModel stage;
  try {
    stage.model = load_model(checkpoint, path, std::move(model), official_model_configs(), source);
  } catch (const Error& e) {
    if (!diffusion_only) throw;
    throw Error(e.status(), fmt::format("{} ({} names only diffusion options; add the model's own, "
                                        "image_size, num_channels, ...)",
                                        e.what(), source));
  }
  stage.diffusion = diffusion_options_over(
      diffusion_options, checkpoint_diffusion(checkpoint, path, stage.model->config()), source);
  return stage;
}

StageModel load_stage_model_with_options(const std::string& path, std::optional<ModelConfig> model,
                                         const std::string& diffusion_options,
                                         const std::string& source) {
  diffusion_options_over(diffusion_options, DiffusionConfig{}, source);
  return stage_model_with_options(load_checkpoint(path), path, std::move(model), diffusion_options,
                                  source);
}

}  // namespace glide
