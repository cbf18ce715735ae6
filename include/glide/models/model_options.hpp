#pragma once

// Model-options JSON as the reference writes it (models.json, the training recipes): beside the
// model's own options it holds diffusion and runtime ones, which describe no model.
#include <string>

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

}  // namespace glide
