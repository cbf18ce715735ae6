#include "png_record.hpp"

#include <fmt/format.h>

#include <filesystem>

#include "glide/error.hpp"
#include "glide/io/sha256.hpp"
#include "glide/version.hpp"
#include "param_fields.hpp"

namespace glide::cli {

RecordedFile record_file(const std::string& role, const std::string& path) {
  return {role, std::filesystem::absolute(path).lexically_normal().string(),
          io::sha256_file_hex(path)};
}

image::PngText png_text(const ImageRecord& record) {
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

LoadedRecord read_record(const std::string& png_path) {
  const image::PngImage png = image::load_png(png_path);
  const auto it = png.text.find(kParametersChunk);
  if (it == png.text.end()) {
    throw Error(Status::not_found,
                fmt::format("'{}' holds no {} text chunk: it was not written by glide, or its "
                            "metadata was stripped",
                            png_path, kParametersChunk));
  }
  LoadedRecord record;
  try {
    const nlohmann::json all = nlohmann::json::parse(it->second);
    record.command = all.value("command", "");
    record.params = params_from_json(all.at("parameters"));
    if (all.contains("files")) {
      for (const auto& [role, file] : all.at("files").items()) {
        record.files[role] = {role, file.at("path").get<std::string>(),
                              file.at("sha256").get<std::string>()};
      }
    }
  } catch (const nlohmann::json::exception& e) {
    throw Error(Status::invalid_format, fmt::format("'{}': the {} chunk is damaged: {}", png_path,
                                                    kParametersChunk, e.what()));
  } catch (const Error& e) {
    throw Error(e.status(), fmt::format("'{}': {}: {}", png_path, kParametersChunk, e.what()));
  }
  return record;
}

GenerationParams image_params(const GenerationParams& batch, int64_t k) {
  GenerationParams p = batch;
  p.prompts = {batch.expanded_prompts().at(static_cast<size_t>(k))};
  p.batch_size = 1;
  p.seed = batch.seed + static_cast<uint64_t>(k);
  return p;
}

}  // namespace glide::cli
