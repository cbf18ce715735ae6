#include "png_record.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <vector>

#include "core/printable.hpp"
#include "glide/error.hpp"
#include "glide/io/sha256.hpp"
#include "glide/version.hpp"
#include "io/json_text.hpp"
#include "pipeline/param_fields.hpp"
#include "usage_error.hpp"

namespace glide::cli {

namespace {

// The record's JSON is checked member by member so that a damaged chunk is reported in terms of
// the record ("\"files\" is an array; expected an object"), not as the JSON library's messages.
[[noreturn]] void damaged(const std::string& what) {
  throw Error(Status::invalid_format, what);
}

// `context` prefixes the message for a nested object: "files.model: ".
const nlohmann::json& member(const nlohmann::json& object, const char* key, const char* expected,
                             const char* context = "") {
  const auto it = object.find(key);
  if (it == object.end()) {
    damaged(fmt::format("{}it has no \"{}\"; expected {}", context, key, expected));
  }
  return *it;
}

std::string string_member(const nlohmann::json& object, const char* key, const char* context) {
  const nlohmann::json& value = member(object, key, "a string", context);
  if (!value.is_string()) {
    damaged(fmt::format("{}\"{}\" is {}; expected a string", context, key, value.type_name()));
  }
  return value.get<std::string>();
}

void parse_members(const nlohmann::json& all, LoadedRecord& record);

LoadedRecord parse_record(const std::string& text) {
  const nlohmann::json all = detail::parse_json(text, "the record");
  if (!all.is_object()) damaged(fmt::format("it is {}; expected a JSON object", all.type_name()));
  LoadedRecord record;
  if (const auto v = all.find("glide_version"); v != all.end() && v->is_string()) {
    record.glide_version = v->get<std::string>();
  }
  try {
    parse_members(all, record);
  } catch (const Error& e) {
    if (!is_newer_version(record.glide_version, version_string())) throw;
    throw Error(e.status(), fmt::format("{} (it was written by glide {}, newer than this glide "
                                        "{}, and may use what this one does not know)",
                                        e.what(), record.glide_version, version_string()));
  }
  return record;
}

void parse_members(const nlohmann::json& all, LoadedRecord& record) {
  record.command = string_member(all, "command", "");
  record.params = params_from_json(member(all, "parameters", "an object"));
  if (const auto configs = all.find("model_configs"); configs != all.end()) {
    if (!configs->is_object()) {
      damaged(fmt::format("\"model_configs\" is {}; expected an object", configs->type_name()));
    }
    for (const auto& [role, config] : configs->items()) {
      if (role != "model" && role != "upsampler_model") {
        damaged(
            fmt::format("model_configs names \"{}\"; expected \"model\" or "
                        "\"upsampler_model\"",
                        role));
      }
      if (!config.is_object() || config.empty()) {
        damaged(fmt::format("model_configs.{}: it is {}; expected an object of model options", role,
                            config.is_object() ? "empty" : config.type_name()));
      }
      record.model_configs[role] = config.dump();
    }
  }
  const auto files = all.find("files");
  if (files == all.end()) return;
  if (!files->is_object()) {
    damaged(fmt::format("\"files\" is {}; expected an object", files->type_name()));
  }
  for (const auto& [role, file] : files->items()) {
    const std::string context = fmt::format("files.{}: ", role);
    if (!file.is_object()) {
      damaged(fmt::format("{}it is {}; expected an object", context, file.type_name()));
    }
    record.files[role] = {role, string_member(file, "path", context.c_str()),
                          string_member(file, "sha256", context.c_str())};
  }
}

}  // namespace

LoadedRecord read_record(const std::string& png_path) {
  const image::PngInfo png = image::load_png_info(png_path);
  if (png.repeated_keywords.count(kParametersChunk) != 0) {
    throw Error(Status::invalid_format,
                fmt::format("'{}' holds more than one {} text chunk; which one made the image "
                            "cannot be told",
                            png_path, kParametersChunk));
  }
  const auto it = png.text.find(kParametersChunk);
  if (it == png.text.end()) {
    throw Error(Status::not_found,
                fmt::format("'{}' holds no {} text chunk: it was not written by glide, or its "
                            "metadata was stripped",
                            png_path, kParametersChunk));
  }
  try {
    LoadedRecord record = parse_record(it->second);
    record.path = png_path;
    return record;
  } catch (const Error& e) {
    throw Error(e.status(), fmt::format("'{}': the {} chunk is damaged: {}", png_path,
                                        kParametersChunk, e.what()));
  }
}

std::string remade_by(const LoadedRecord& record) {
  if (record.command != "sweep") return record.command;
  return record.files.count("mask") != 0 ? "inpaint" : "generate";
}

LoadedRecord read_record_for(const std::string& png_path, const std::string& command) {
  LoadedRecord record = read_record(png_path);
  if (record.command != "generate" && record.command != "sweep" && record.command != "inpaint" &&
      record.command != "upsample") {
    throw Error(Status::invalid_format,
                fmt::format("'{}': the {} chunk names an unknown command \"{}\"; expected "
                            "generate, sweep, inpaint or upsample",
                            png_path, kParametersChunk, record.command));
  }
  const std::string remaker = remade_by(record);
  const bool takes = command == "sweep" ? remaker != "upsample" : remaker == command;
  if (!takes) {
    throw UsageError(fmt::format(
        "--from {}: that image was made by `glide {}`{}, which `glide {} --from` cannot {}; use "
        "`glide {} --from {}`",
        png_path, record.command,
        record.command != remaker && remaker == "inpaint" ? " (inpainting)" : "", command,
        command == "sweep" ? "start from" : "make again", remaker, png_path));
  }
  if (record.params.prompts.empty()) {
    throw UsageError(
        fmt::format("--from {}: the image records no prompt; give --prompt", png_path));
  }
  if (is_newer_version(record.glide_version, version_string())) {
    fmt::print(stderr,
               "glide: note: {} was made by glide {}, newer than this glide {}; its parameters "
               "are read as this version understands them, which may not make the same image\n",
               printable(png_path), printable(record.glide_version), version_string());
  }
  return record;
}

std::string recorded_input(const std::string& given, const std::string& role, const char* flag,
                           const LoadedRecord& record) {
  if (!given.empty()) return given;
  const auto it = record.files.find(role);
  if (it == record.files.end()) {
    throw UsageError(
        fmt::format("--from {}: its record names no {} file; give {}", record.path, role, flag));
  }
  const RecordedFile& was = it->second;
  std::error_code ec;
  if (!std::filesystem::is_regular_file(was.path, ec)) {
    throw UsageError(fmt::format("--from {}: the {} it was made from, '{}', is gone; give {}",
                                 record.path, role, printable(was.path), flag));
  }
  const std::string now = io::sha256_file_hex(was.path);
  if (now != was.sha256) {
    fmt::print(stderr,
               "glide: note: {} '{}' is not the file the image was made from (SHA-256 {}, now "
               "{}); the result will differ\n",
               role, printable(was.path), was.sha256, now);
  }
  return was.path;
}

bool is_newer_version(const std::string& a, const std::string& b) {
  // Missing parts are 0 ("1.2" is "1.2.0"); a part that is not a number reads as 0.
  const auto parts = [](const std::string& v) {
    std::vector<uint64_t> out;
    size_t start = 0;
    while (start <= v.size()) {
      const size_t dot = std::min(v.find('.', start), v.size());
      const std::string part = v.substr(start, dot - start);
      const bool digits = !part.empty() && part.size() <= 18 &&
                          part.find_first_not_of("0123456789") == std::string::npos;
      out.push_back(digits ? std::stoull(part) : 0);
      start = dot + 1;
    }
    return out;
  };
  std::vector<uint64_t> x = parts(a), y = parts(b);
  const size_t n = std::max(x.size(), y.size());
  x.resize(n, 0);
  y.resize(n, 0);
  return x > y;
}

}  // namespace glide::cli
