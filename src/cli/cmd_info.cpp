#include <fmt/core.h>

#include <algorithm>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "commands.hpp"
#include "glide/image/png.hpp"
#include "glide/io/checkpoint.hpp"

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

// One line about a value that is not a tensor; never walks into containers.
std::string describe(const io::Value& v) {
  if (v.is_string()) return "'" + clip(v.as_string(), 60) + "'";
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
  fmt::print("file: {}\n", info.file);
  fmt::print("format: {}\n", format_name(info.checkpoint.format));
  fmt::print("tensors: {}\n", tensors.size());
  fmt::print("parameters: {}\n", with_thousands(tensors.parameter_count()));
  for (const auto& [key, value] : info.checkpoint.metadata) {
    fmt::print("metadata: {} = {}\n", key, clip(value, 200));
  }
  for (const auto& [key, value] : info.others) {
    fmt::print("value: {} = {}\n", key, describe(value));
  }
  size_t width = 0;
  for (const auto& [name, t] : tensors.items()) width = std::max(width, name.size());
  width = std::min<size_t>(width, 64);
  if (tensors.size() > 0) fmt::print("\n");
  for (const auto& [name, t] : tensors.items()) {
    fmt::print("{:<{}}  {:<8}  {}\n", name, width, io::dtype_name(t.scalar_type()), shape_of(t));
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
  fmt::print("{}\n", out.dump(2));
}

bool is_png(const std::string& file) {
  return file.size() >= 4 && file.compare(file.size() - 4, 4, ".png") == 0;
}

// A PNG: its size and text chunks, where glide keeps the parameters that made it.
void print_png(const std::string& file, bool json) {
  const image::PngImage png = image::load_png(file);
  const int64_t height = png.pixels.size(0), width = png.pixels.size(1);
  if (json) {
    nlohmann::ordered_json out = {
        {"file", file}, {"format", "png"}, {"width", width}, {"height", height}};
    out["text"] = png.text;
    fmt::print("{}\n", out.dump(2));
    return;
  }
  fmt::print("file: {}\nformat: png\nsize: {}x{}\n", file, width, height);
  for (const auto& [key, value] : png.text) fmt::print("text: {} = {}\n", key, value);
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
    if (is_png(*file)) return print_png(*file, *json);
    const Info info = inspect(*file);
    if (*json) {
      print_json(info);
    } else {
      print_text(info);
    }
  });
}

}  // namespace glide::cli
