#include "glide/models/model_options.hpp"

#include <algorithm>
#include <cstring>
#include <iterator>
#include <nlohmann/json.hpp>

#include "glide/error.hpp"

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

bool is_json_object_text(const std::string& text) {
  size_t at = text.compare(0, 3, "\xEF\xBB\xBF") == 0 ? 3 : 0;
  while (at < text.size() && std::strchr(" \t\n\r", text[at]) != nullptr) ++at;
  return at < text.size() && text[at] == '{';
}

std::optional<ModelConfig> model_config_from_text(const std::string& text,
                                                  const std::string& argument) {
  if (text.empty()) return std::nullopt;
  if (text == "base") return ModelConfig::base();
  if (text == "upsampler" || text == "upsample") return ModelConfig::upsampler();
  if (text == "base-inpaint") return ModelConfig::base_inpaint();
  if (text == "upsampler-inpaint" || text == "upsample-inpaint") {
    return ModelConfig::upsampler_inpaint();
  }
  if (!is_json_object_text(text)) {
    throw Error(Status::invalid_argument,
                argument + " is '" + text +
                    "', neither a preset (base, upsampler, base-inpaint, upsampler-inpaint) nor "
                    "a JSON object of model options");
  }
  try {
    if (!names_model_options(text)) return std::nullopt;
    return ModelConfig::from_json(text);
  } catch (const Error& e) {
    throw Error(Status::invalid_argument, argument + ": " + e.what());
  }
}

}  // namespace glide
