#pragma once

// Model-options JSON as the reference writes it (models.json, the training recipes): beside the
// model's own options it holds diffusion and runtime ones, which describe no model.
#include <optional>
#include <string>

#include "glide/models/config.hpp"

namespace glide {

// "diffusion_steps", "noise_schedule", "timestep_respacing", "prediction", "use_fp16",
// "cache_text_emb": options that ModelConfig::from_json() leaves to others.
bool is_non_model_option(const std::string& key);

// Whether a JSON object of options names any model option. Such an object is a whole model
// config (ModelConfig::from_json() fills what it leaves out); one naming only non-model options
// ({"prediction": "v"}) leaves the model to the checkpoint. True for text that is no JSON object
// and for a timestep_respacing other than "", so that ModelConfig::from_json() gets to say what
// is wrong with them.
bool names_model_options(const std::string& options_json);

// Whether `text` is a JSON object (after a UTF-8 byte order mark and JSON's whitespace) rather
// than a preset name.
bool is_json_object_text(const std::string& text);

// A model config a caller gave as text (the C ABI's and Python's base_config/upsampler_config):
// nullopt for "" or JSON naming no model option (the checkpoint's applies; its diffusion options
// are the caller's to read); a preset ("base", "upsampler" or "upsample", "base-inpaint",
// "upsampler-inpaint" or "upsample-inpaint"); or ModelConfig JSON. glide::Error(invalid_argument)
// after `argument`, the text being the caller's.
std::optional<ModelConfig> model_config_from_text(const std::string& text,
                                                  const std::string& argument);

}  // namespace glide
