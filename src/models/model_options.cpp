#include "glide/models/model_options.hpp"

#include <algorithm>
#include <iterator>
#include <nlohmann/json.hpp>

namespace glide {

bool is_non_model_option(const std::string& key) {
  static const char* const kNonModel[] = {"diffusion_steps", "noise_schedule", "timestep_respacing",
                                          "prediction",      "use_fp16",       "cache_text_emb"};
  return std::find(std::begin(kNonModel), std::end(kNonModel), key) != std::end(kNonModel);
}

bool names_model_options(const std::string& options_json) {
  const nlohmann::json j = nlohmann::json::parse(options_json, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return true;
  // A timestep_respacing other than "" counts too: ModelConfig::from_json() refuses it (the steps
  // are chosen per call), and a diffusion-only reading would drop it without a word.
  return std::any_of(j.items().begin(), j.items().end(), [](const auto& item) {
    return !is_non_model_option(item.key()) ||
           (item.key() == "timestep_respacing" && item.value() != "");
  });
}

}  // namespace glide
