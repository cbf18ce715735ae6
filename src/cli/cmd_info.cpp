#include <fmt/core.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "commands.hpp"
#include "core/printable.hpp"
#include "glide/error.hpp"
#include "glide/image/png.hpp"
#include "glide/io/checkpoint.hpp"
#include "glide/io/files.hpp"

namespace glide::cli {

namespace {

std::string with_thousands(int64_t n) {
  std::string digits = std::to_string(n);
  for (int i = static_cast<int>(digits.size()) - 3; i > (n < 0 ? 1 : 0); i -= 3) {
    digits.insert(static_cast<size_t>(i), ",");
  }
  return digits;
}

std::string shape_of(const torch::Tensor& t) {
  std::string s = "[";
  for (int64_t i = 0; i < t.dim(); ++i) s += (i ? ", " : "") + std::to_string(t.size(i));
  return s + "]";
}

// At most `limit` bytes of UTF-8 text, cut at a character boundary.
std::string clip(const std::string& s, size_t limit) {
  if (s.size() <= limit) return s;
  size_t n = limit;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xc0) == 0x80) --n;
  return s.substr(0, n) + "...";
}

// Strings read from a file need not be UTF-8: bytes that are not become U+FFFD instead of
// failing the dump. C1 controls (U+0080..U+009F), which the JSON writer leaves raw and some
// terminals obey (U+009B starts an escape sequence), are written as \u escapes.
std::string dump_json(const nlohmann::ordered_json& j) {
  const std::string raw = j.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  std::string out;
  out.reserve(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    const auto next = i + 1 < raw.size() ? static_cast<unsigned char>(raw[i + 1]) : 0;
    if (static_cast<unsigned char>(raw[i]) == 0xc2 && next >= 0x80 && next <= 0x9f) {
      out += fmt::format("\\u{:04x}", next);  // valid UTF-8: 0xC2 only ever starts a character
      ++i;
    } else {
      out += raw[i];
    }
  }
  return out;
}

// One line about a value that is not a tensor; never walks into containers.
std::string describe(const io::Value& v) {
  if (v.is_string()) return "'" + printable(clip(v.as_string(), 60)) + "'";
  if (v.is_int()) return std::to_string(v.as_int());
  if (v.is_float()) return fmt::format("{}", v.as_float());
  if (v.is_bool()) return v.as_bool() ? "True" : "False";
  if (v.is_none()) return "None";
  if (v.is_list()) return fmt::format("list of {}", v.as_list().size());
  if (v.is_tuple()) return fmt::format("tuple of {}", v.as_tuple().items.size());
  if (v.is_dict()) return fmt::format("dict of {}", v.as_dict().size());
  return v.type_name();
}

struct Info {
  std::string file;
  Checkpoint checkpoint;
  std::vector<std::pair<std::string, io::Value>> others;  // a .pt dict's non-tensor entries
};

Info inspect(const std::string& file) {
  Info info{file, load_checkpoint(file), {}};
  if (info.checkpoint.format == CheckpointFormat::torch_zip) {
    const io::Value root = io::load_torch_file(file);
    for (const auto& [key, value] : root.as_dict()) {
      if (value.is_tensor()) continue;
      info.others.emplace_back(key.is_string() ? key.as_string() : describe(key), value);
    }
  }
  return info;
}

void print_text(const Info& info) {
  const auto& tensors = info.checkpoint.tensors;
  fmt::print("file: {}\n", printable(info.file));
  fmt::print("format: {}\n", format_name(info.checkpoint.format));
  fmt::print("tensors: {}\n", tensors.size());
  fmt::print("parameters: {}\n", with_thousands(tensors.parameter_count()));
  for (const auto& [key, value] : info.checkpoint.metadata) {
    fmt::print("metadata: {} = {}\n", printable(key), printable(clip(value, 200)));
  }
  for (const auto& [key, value] : info.others) {
    fmt::print("value: {} = {}\n", printable(key), describe(value));
  }
  size_t width = 0;
  for (const auto& [name, t] : tensors.items()) width = std::max(width, name.size());
  width = std::min<size_t>(width, 64);
  if (tensors.size() > 0) fmt::print("\n");
  for (const auto& [name, t] : tensors.items()) {
    fmt::print("{:<{}}  {:<8}  {}\n", printable(name), width, io::dtype_name(t.scalar_type()),
               shape_of(t));
  }
}

void print_json(const Info& info) {
  const auto& tensors = info.checkpoint.tensors;
  nlohmann::ordered_json out;
  out["file"] = info.file;
  out["format"] = format_name(info.checkpoint.format);
  out["tensor_count"] = tensors.size();
  out["parameter_count"] = tensors.parameter_count();
  out["metadata"] = info.checkpoint.metadata;
  out["values"] = nlohmann::ordered_json::object();
  for (const auto& [key, v] : info.others) {
    auto& slot = out["values"][key];
    if (v.is_string()) {
      slot = v.as_string();
    } else if (v.is_int()) {
      slot = v.as_int();
    } else if (v.is_float()) {
      slot = v.as_float();
    } else if (v.is_bool()) {
      slot = v.as_bool();
    } else if (!v.is_none()) {
      slot = describe(v);  // containers: their kind and size only
    }
  }
  out["tensors"] = nlohmann::ordered_json::array();
  for (const auto& [name, t] : tensors.items()) {
    out["tensors"].push_back(
        {{"name", name}, {"dtype", io::dtype_name(t.scalar_type())}, {"shape", t.sizes().vec()}});
  }
  fmt::print("{}\n", dump_json(out));
}

// Whether the file starts with `signature`: images are told by it, whatever their name ("x.PNG",
// "image").
bool starts_with(const std::string& file, std::string_view signature) {
  // Opening a pipe would block; the checkpoint reader refuses anything but a regular file.
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec)) return false;
  std::string start(signature.size(), '\0');
  std::ifstream in(file, std::ios::binary);
  return in.read(start.data(), static_cast<std::streamsize>(start.size())) && start == signature;
}

bool is_png(const std::string& file) {
  return starts_with(file, std::string_view("\x89PNG\r\n\x1a\n", 8));
}

bool is_jpeg(const std::string& file) {
  const std::string ext = io::lowercase_extension(file);
  return ext == ".jpg" || ext == ".jpeg" || starts_with(file, "\xFF\xD8\xFF");
}

// A PNG: its size and text chunks, where glide keeps the parameters that made it. Its pixels
// are not decoded (a large image's would take seconds and gigabytes).
void print_png(const std::string& file, bool json) {
  const image::PngInfo png = image::load_png_info(file);
  if (json) {
    nlohmann::ordered_json out = {
        {"file", file}, {"format", "png"}, {"width", png.width}, {"height", png.height}};
    out["text"] = png.text;
    if (!png.repeated_keywords.empty()) out["repeated_keywords"] = png.repeated_keywords;
    fmt::print("{}\n", dump_json(out));
    return;
  }
  fmt::print("file: {}\nformat: png\nsize: {}x{}\n", printable(file), png.width, png.height);
  for (const auto& [key, value] : png.text) {
    fmt::print(
        "text: {} = {}{}\n", printable(key), printable(value),
        png.repeated_keywords.count(key) ? " (the last of several chunks with this keyword)" : "");
  }
}

}  // namespace

void add_info_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "info",
      "Describe a checkpoint (its format, tensor and parameter counts, and every tensor) or a "
      "PNG (its size and text chunks, such as the parameters glide records)");
  auto file = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  cmd->add_option("file", *file,
                  "A .pt file written by torch.save, a .safetensors file or a .png image")
      ->required();
  cmd->add_flag("--json", *json, "Print one JSON object instead of text");
  cmd->callback([file, json] {
    // Named .png but not one: the PNG reader's error says so (not "not a checkpoint").
    if (is_png(*file) || io::lowercase_extension(*file) == ".png") {
      return print_png(*file, *json);
    }
    if (is_jpeg(*file)) {
      throw Error(Status::unsupported,
                  fmt::format("'{}' is a JPEG image; info describes checkpoints (.pt, "
                              ".safetensors) and PNG images, where glide records the parameters "
                              "that made them (it writes no JPEGs)",
                              *file));
    }
    const Info info = inspect(*file);
    if (*json) {
      print_json(info);
    } else {
      print_text(info);
    }
  });
}

}  // namespace glide::cli
