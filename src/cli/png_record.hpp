#pragma once

// Reading the record glide writes into each PNG it makes (pipeline/image_record.hpp), for each
// command's --from.
#include <map>
#include <string>

#include "pipeline/image_record.hpp"

namespace glide::cli {

struct LoadedRecord {
  std::string path;           // the PNG it was read from
  std::string glide_version;  // of the glide that wrote it; "" when the record does not say
  std::string command;
  GenerationParams params;
  std::map<std::string, RecordedFile> files;  // by role
  // role ("model", "upsampler_model") → the JSON text of a config given as a value, not a file
  // (Python's Pipeline(base_config=...)), from the record's "model_configs".
  std::map<std::string, std::string> model_configs;
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

// The file for `role` ("input", "mask"): `given` when not empty, else the one `record`'s
// record names (a note on stderr when it changed since: the result will differ). UsageError
// naming `flag` when neither is there or the recorded file is gone.
std::string recorded_input(const std::string& given, const std::string& role, const char* flag,
                           const LoadedRecord& record);

// Whether dotted version `a` is newer than `b`, part by part as numbers ("0.10.0" > "0.9.1").
bool is_newer_version(const std::string& a, const std::string& b);

}  // namespace glide::cli
