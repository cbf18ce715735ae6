#pragma once

#include <optional>
#include <string>

#include "glide/diffusion/gaussian_diffusion.hpp"
#include "glide/models/text2im_unet.hpp"

namespace glide {
struct Checkpoint;  // glide/io/checkpoint.hpp
class Error;        // glide/error.hpp
}  // namespace glide

namespace glide {

// A model with the diffusion it was trained with.
struct StageModel {
  Text2ImUNet model{nullptr};
  DiffusionConfig diffusion;  // diffusion_steps and noise_schedule; respacing comes per call
};

// The safetensors metadata key holding a DiffusionConfig as JSON with the reference's option
// names ("diffusion_steps", "noise_schedule", optionally "timestep_respacing") and glide's
// "prediction" (when not "epsilon").
inline constexpr const char* kDiffusionConfigMetadataKey = "glide.diffusion_config";

// The official models' diffusion: 1000 steps, squaredcos_cap_v2 for base and inpainting models,
// linear for the upsamplers (config.super_res).
DiffusionConfig default_diffusion_config(const ModelConfig& config);

// Parses the JSON of kDiffusionConfigMetadataKey; unknown names are glide::Error(invalid_format).
// Options it does not name keep their values in `defaults`.
DiffusionConfig diffusion_config_from_json(const std::string& json_text,
                                           const DiffusionConfig& defaults = {});
// The diffusion named inside a model-options JSON object (the recipes' and models.json's style)
// by its "diffusion_steps", "noise_schedule" and "prediction" keys, other keys ignored; nullopt
// when it names none of them. Options it does not name keep their values in `defaults` (pass the
// model's default_diffusion_config(): an upsampler naming only "prediction" stays linear).
// glide::Error(invalid_argument) for a value diffusion_config_from_json() refuses.
std::optional<DiffusionConfig> diffusion_config_in_options(const std::string& options_json,
                                                           const DiffusionConfig& defaults);
// The diffusion to train or run `model` with when its options JSON is all there is (recipes,
// glide.train): what the JSON names by diffusion_config_in_options(), the rest, or all of it
// when it names nothing, from default_diffusion_config(model).
DiffusionConfig diffusion_config_for(const ModelConfig& model, const std::string& options_json);
// The JSON diffusion_config_from_json() reads (timestep_respacing only when set, prediction only
// when not "epsilon").
std::string diffusion_config_to_json(const DiffusionConfig& config);

// A JSON file of a model's options with the reference's names (models/recipes/*.json,
// --model-config): the ModelConfig, validated, and the diffusion when the file names one
// (diffusion_config_in_options() over default_diffusion_config(model)). glide::Error naming the
// file: io::read_file()'s for the file, the JSON readers' for its text.
struct ModelOptionsFile {
  ModelConfig model;
  std::optional<DiffusionConfig> diffusion;  // nullopt: the file names no diffusion option
};
ModelOptionsFile read_model_options_file(const std::string& path);
// The same from the file's `text`, already read from `path`.
ModelOptionsFile model_options_from_text(const std::string& text, const std::string& path);

// The diffusion `checkpoint` (read from `path`, named in errors) records in its
// kDiffusionConfigMetadataKey metadata, else default_diffusion_config(model).
DiffusionConfig checkpoint_diffusion(const Checkpoint& checkpoint, const std::string& path,
                                     const ModelConfig& model);

// load_model() (glide/models/loading.hpp) plus the diffusion: `diffusion` when given, else the
// checkpoint's kDiffusionConfigMetadataKey metadata, else default_diffusion_config().
StageModel load_stage_model(const std::string& path,
                            std::optional<ModelConfig> config = std::nullopt,
                            std::optional<DiffusionConfig> diffusion = std::nullopt);

// Options a caller gives beside a checkpoint (a --model-config file, a Python or C config) and
// `source`, their name in errors ("model config 'x.json'", "base_config"):

// What `options_json` names by diffusion_config_in_options() laid over `under`, the diffusion the
// checkpoint would otherwise run with, so that an upsampler given only "prediction" stays linear;
// `under` when it names none ("" names none). glide::Error(invalid_argument) after `source`.
DiffusionConfig diffusion_options_over(const std::string& options_json,
                                       const DiffusionConfig& under, const std::string& source);
// The stage model in `checkpoint` (read from `path`) with `model` (nullopt: the checkpoint's own)
// and the diffusion by diffusion_options_over() the checkpoint's. When the model can't be read
// from the checkpoint alone and the options name diffusion but no model option, the error
// advises adding the model's.
StageModel stage_model_with_options(const Checkpoint& checkpoint, const std::string& path,
                                    std::optional<ModelConfig> model,
                                    const std::string& diffusion_options,
                                    const std::string& source);
// The same, reading the checkpoint at `path`; the options are checked before that (slow) read.
StageModel load_stage_model_with_options(const std::string& path, std::optional<ModelConfig> model,
                                         const std::string& diffusion_options,
                                         const std::string& source);

}  // namespace glide
