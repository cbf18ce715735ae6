#pragma once

// --model / --upsampler-model and their --*-config flags: which checkpoint each stage loads.
#include <CLI/CLI.hpp>
#include <initializer_list>
#include <map>
#include <string>
#include <vector>

#include "glide/pipeline/generation_params.hpp"
#include "glide/pipeline/stage_model.hpp"
#include "png_record.hpp"

namespace glide::cli {

struct ModelFlags {
  std::string base, base_config;
  std::string upsampler, upsampler_config;
};

enum class DefaultModels { shipped, none };

// Adds --model and --model-config (when `base`), --upsampler-model and --upsampler-model-config
// (when `upsampler`).
void add_model_flags(CLI::App* cmd, ModelFlags& flags, bool base, bool upsampler,
                     DefaultModels defaults);

struct LoadedModel {
  std::string role;  // "model" or "upsampler_model"; "" when the stage is not used
  StageModel stage;
  std::vector<RecordedFile> files;  // the checkpoint, and the config file when one was given
  std::string config_json;          // a config recorded as a value (from Python), "" otherwise
};

// Loads the base ("model") or upsampler ("upsampler_model") stage's model. The file is the
// flag's, else the one `recorded` (from --from) names, else the shipped default pair's
// (default_model_paths()), unless `defaults` is none. A config file is read only with the
// model it was given or recorded with; a record's model_configs (Python's) serve as a config
// file would. Notes on stderr when a recorded file has changed.
LoadedModel load_stage(const std::string& role, const ModelFlags& flags, DefaultModels defaults,
                       const LoadedRecord& from = {});

// Adds the models' files, and the configs recorded as values, to the record of what they made.
void record_models(ImageRecord& record, std::initializer_list<const LoadedModel*> models);

// A note on stderr for each prompt (and negative prompt) longer than the smallest text context of
// the loaded models: GLIDE's models read only the first text_ctx tokens (128) and so does glide.
void warn_long_prompts(const GenerationParams& params,
                       std::initializer_list<const LoadedModel*> models);

}  // namespace glide::cli
