#pragma once

// What glide writes into each PNG it makes: every generation parameter as its own text chunk,
// the files involved with their SHA-256, and one chunk, glide_parameters, holding all of it as
// JSON, so that `glide generate --from IMAGE.png` and glide.read_parameters can make the same
// image again. The CLI and the Python module write the same record.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "glide/image/png.hpp"
#include "glide/pipeline/generation_params.hpp"
#include "glide/pipeline/stage_model.hpp"

namespace glide {

inline constexpr const char* kParametersChunk = "glide_parameters";

// A file an image depends on: role "model", "upsampler_model", "model_config",
// "upsampler_model_config", "input" or "mask".
struct RecordedFile {
  std::string role;
  std::string path;  // absolute
  std::string sha256;
};
// The file's absolute path and SHA-256 (read in full).
RecordedFile record_file(const std::string& role, const std::string& path);

struct ImageRecord {
  std::string command;  // "generate", "upsample", "inpaint", "sweep"
  GenerationParams params;
  bool base_stage = true;       // write base.* chunks
  bool upsampler_stage = true;  // write upsampler.* chunks
  std::vector<RecordedFile> files;
  nlohmann::ordered_json extra = nlohmann::ordered_json::object();  // more keys for the JSON
};

// The text chunks of an image made as `record` says (docs/cli.md, "PNG text chunks").
image::PngText record_text(const ImageRecord& record);

// A loaded stage's model options with its diffusion_steps, noise_schedule and prediction, as one
// JSON object: what a record's "model_configs" keeps for a config given as a value rather than a
// file (from Python or C), which `glide ... --from` loads the model with again.
nlohmann::ordered_json stage_config_json(const StageModel& stage);

// The parameters that make image k of a batch alone: batch size 1, seed + k, prompt k.
GenerationParams image_params(const GenerationParams& batch, int64_t k);

}  // namespace glide
