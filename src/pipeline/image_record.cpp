#include "pipeline/image_record.hpp"

#include <fmt/format.h>

#include <filesystem>

#include "core/printable.hpp"
#include "glide/error.hpp"
#include "glide/io/sha256.hpp"
#include "glide/version.hpp"
#include "image/utf8.hpp"
#include "pipeline/param_fields.hpp"

namespace glide {

RecordedFile record_file(const std::string& role, const std::string& path) {
  std::string absolute = std::filesystem::absolute(path).lexically_normal().string();
  // PNG text and the record's JSON hold UTF-8 alone: refused here, before any sampling, rather
  // than when the images are written.
  if (image::utf8_error_offset(absolute) != std::string::npos) {
    throw Error(Status::invalid_argument,
                fmt::format("cannot record the {} file '{}' in the images' metadata: its name is "
                            "not UTF-8, which PNG text must be; rename it (or link to it under a "
                            "UTF-8 name)",
                            role, printable(absolute)));
  }
  return {role, std::move(absolute), io::sha256_file_hex(path)};
}

image::PngText record_text(const ImageRecord& record) {
  image::PngText text;
  text["Software"] = std::string("glide ") + version_string();
  text["glide_version"] = version_string();
  text["glide_command"] = record.command;
  for (const ParamField& field : param_fields()) {
    if ((field.stage == "base" && !record.base_stage) ||
        (field.stage == "upsampler" && !record.upsampler_stage)) {
      continue;
    }
    text[field.name == "prompts" ? "prompt" : field.name] = field_text(field, record.params);
  }
  nlohmann::ordered_json files = nlohmann::ordered_json::object();
  for (const RecordedFile& f : record.files) {
    text[f.role] = f.path;
    text[f.role + "_sha256"] = f.sha256;
    files[f.role] = {{"path", f.path}, {"sha256", f.sha256}};
  }
  nlohmann::ordered_json all = {{"glide_version", version_string()},
                                {"command", record.command},
                                {"parameters", params_to_json(record.params)},
                                {"files", files}};
  for (const auto& [key, value] : record.extra.items()) all[key] = value;
  text[kParametersChunk] = all.dump();
  return text;
}

nlohmann::ordered_json stage_config_json(const StageModel& stage) {
  nlohmann::ordered_json config = nlohmann::ordered_json::parse(stage.model->config().to_json());
  config["diffusion_steps"] = stage.diffusion.diffusion_steps;
  config["noise_schedule"] = stage.diffusion.noise_schedule;
  config["prediction"] = stage.diffusion.prediction;
  return config;
}

GenerationParams image_params(const GenerationParams& batch, int64_t k) {
  GenerationParams p = batch;
  p.prompts = {batch.expanded_prompts().at(static_cast<size_t>(k))};
  p.batch_size = 1;
  p.seed = batch.seed + static_cast<uint64_t>(k);
  return p;
}

}  // namespace glide
