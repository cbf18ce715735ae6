#pragma once

// What glide writes into each PNG it makes: every generation parameter as its own text chunk,
// the files involved with their SHA-256, and one chunk, glide_parameters, holding all of it as
// JSON so that `glide generate --from IMAGE.png` can make the same image again.
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "glide/image/png.hpp"
#include "glide/pipeline/generation_params.hpp"

namespace glide::cli {

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

image::PngText png_text(const ImageRecord& record);

struct LoadedRecord {
  std::string glide_version;  // of the glide that wrote it; "" when the record does not say
  std::string command;
  GenerationParams params;
  std::map<std::string, RecordedFile> files;  // by role
};
// Reads the glide_parameters chunk of a PNG glide wrote. Throws glide::Error naming the file:
// not_found without that chunk, invalid_format when it is damaged.
LoadedRecord read_record(const std::string& png_path);
// The command whose --from makes an image of this record again: the record's own, except for a
// sweep's sheet (its first valid cell), which generate makes again, or inpaint when the sweep
// inpainted (its files name a mask).
std::string remade_by(const LoadedRecord& record);
// read_record for `glide <command> --from` (generate, inpaint, upsample or sweep): refuses a
// record that another command remakes (remade_by), naming that command (sweep starts from
// generate's and inpaint's records), an unknown command and a record without a prompt. A record
// written by a newer glide gets a note on stderr (it may mean more than this one reads). An
// edit's input image (and mask) are among its files: see recorded_input.
LoadedRecord read_record_for(const std::string& png_path, const std::string& command);

// The file for `role` ("input", "mask"): `given` when not empty, else the one `record_path`'s
// record names (a note on stderr when it changed since: the result will differ). UsageError
// naming `flag` when neither is there or the recorded file is gone.
std::string recorded_input(const std::string& given, const std::string& role, const char* flag,
                           const LoadedRecord& record, const std::string& record_path);

// Whether dotted version `a` is newer than `b`, part by part as numbers ("0.10.0" > "0.9.1").
bool is_newer_version(const std::string& a, const std::string& b);

// The parameters that make image k of a batch alone: batch size 1, seed + k, prompt k.
GenerationParams image_params(const GenerationParams& batch, int64_t k);

}  // namespace glide::cli
