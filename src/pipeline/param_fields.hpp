#pragma once

// Every GenerationParams field by its dotted name ("seed", "base.guidance_scale"), the names
// GenerationParams::validate() reports. One table serves the flags, `--vary`, the PNG text
// chunks, the parameters' JSON and the sweep's CSV, so they always agree.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "glide/pipeline/generation_params.hpp"

namespace glide {

// Where a field lives in a GenerationParams.
using FieldRef = std::variant<std::vector<std::string>*, std::string*, double*, int64_t*, uint64_t*,
                              std::optional<double>*, bool*, torch::Device*, torch::Dtype*>;

struct ParamField {
  std::string name;   // "prompts", "seed", "base.respacing", ...
  std::string stage;  // "base", "upsampler", or "" for the generation-wide fields
  FieldRef (*ref)(GenerationParams&);
  std::string label;  // a short name for tables, "base.steps" for respacing
};

// The fields in a fixed order: generation-wide ones first, then base.*, then upsampler.*.
// A seed: decimal digits only (no sign, no hex), at most 2^64 - 1; glide::Error(invalid_argument)
// otherwise.
uint64_t parse_seed(const std::string& text);
// "float32", "float16" or "bfloat16"; anything else is glide::Error(invalid_argument), the
// message prefixed with the flag that gave `text`.
torch::Dtype parse_dtype_flag(const std::string& flag, const std::string& text);

const std::vector<ParamField>& param_fields();
// The field of a name, its aliases included: a stage field without a stage means base
// ("guidance_scale"), "steps" means "respacing", "prompt" means "prompts". nullptr when unknown.
const ParamField* find_param_field(const std::string& name);
// The canonical names, for error messages.
std::string param_field_names();

// The text form of a field's value: numbers in their shortest exact form, an unset eta as
// "default", booleans as true/false, several prompts as a JSON array.
std::string field_text(const ParamField& field, const GenerationParams& params);
// Sets a field from its text form; throws glide::Error(invalid_argument) saying what was
// expected (the caller names the flag). A prompt sets the prompts to that one prompt.
void set_field_text(const ParamField& field, GenerationParams& params, const std::string& text);

// "" is the library's "every step" for a respacing, but typed on a command line (a flag or a
// --vary value) it is far more often an unset shell variable or a stray separator than a wish
// for 1000 steps: the command line refuses it, saying this.
bool is_empty_respacing(const ParamField& field, const std::string& text);
inline constexpr const char* kEmptyRespacingAdvice =
    "the value is empty; give N, 'a,b,c', ddimN or fast27 (every step of a 1000-step model: "
    "1000)";

// All of `params` as JSON objects nested by stage, and back. params_from_json starts from
// `start` and sets every field present; an unknown key or a value of the wrong type is
// glide::Error(invalid_format) naming the key.
nlohmann::ordered_json params_to_json(const GenerationParams& params);
GenerationParams params_from_json(const nlohmann::json& json,
                                  GenerationParams start = GenerationParams{});

}  // namespace glide
