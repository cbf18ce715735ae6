#include <fmt/core.h>
#include <fmt/format.h>

#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "commands.hpp"
#include "core/printable.hpp"
#include "glide/error.hpp"
#include "glide/io/checkpoint.hpp"
#include "glide/io/files.hpp"
#include "glide/models/loading.hpp"
#include "glide/pipeline/stage_model.hpp"
#include "glide/version.hpp"
#include "image_output.hpp"
#include "pipeline/param_fields.hpp"
#include "usage_error.hpp"

namespace glide::cli {

namespace {

struct ConvertOptions {
  std::string input;
  std::string output;
  std::string dtype;  // "" keeps each tensor's dtype
  bool overwrite = false;
};

enum class OutputFormat { torch, safetensors };

// The format to write, from OUTPUT's extension (any case); another extension is a command line
// to change (status 2), as -o with a name that is not .png is.
OutputFormat output_format(const std::string& path) {
  const std::string ext = io::lowercase_extension(path);
  const bool known = ext == ".pt" || ext == ".pth" || ext == ".safetensors";
  if (known && io::names_only_an_extension(path)) {
    throw UsageError("cannot write '" + path + "': it is only an extension, which would make a " +
                     "hidden file; give a name before it, such as model" + ext);
  }
  if (ext == ".pt" || ext == ".pth") return OutputFormat::torch;
  if (ext == ".safetensors") return OutputFormat::safetensors;
  throw UsageError("cannot write '" + path +
                   "': the output's extension picks its format; expected .pt or .pth (what "
                   "torch.save writes) or .safetensors, got " +
                   (ext.empty() ? std::string("no extension") : "'" + ext + "'"));
}

// The names of a .pt file's top-level entries that are not tensors (they are not converted).
std::vector<std::string> non_tensor_entries(const std::string& path) {
  std::vector<std::string> names;
  const io::Value root = io::load_torch_file(path);
  if (!root.is_dict()) return names;
  for (const auto& [key, value] : root.as_dict()) {
    if (!value.is_tensor()) names.push_back(key.is_string() ? key.as_string() : key.type_name());
  }
  return names;
}

// The one JSON object --model-config takes for a model whose file records its model and
// diffusion configs as metadata ("" when it records no model config): what a .pt copy, which
// holds no metadata, needs to load as the same model with the same diffusion.
std::string config_to_give(const std::map<std::string, std::string>& metadata) {
  const auto model = metadata.find(kModelConfigMetadataKey);
  if (model == metadata.end()) return "";
  const auto parsed = [](const std::string& text) {
    auto json = nlohmann::ordered_json::parse(text, nullptr, /*allow_exceptions=*/false);
    return json.is_object() ? json : nlohmann::ordered_json();
  };
  nlohmann::ordered_json config = parsed(model->second);
  if (config.is_null()) return "";
  if (const auto diffusion = metadata.find(kDiffusionConfigMetadataKey);
      diffusion != metadata.end()) {
    const nlohmann::ordered_json options = parsed(diffusion->second);
    for (const auto& [key, value] : options.items()) config[key] = value;
  }
  return config.dump();
}

void convert(const ConvertOptions& o) {
  const OutputFormat format = output_format(o.output);
  refuse_existing({o.output}, o.overwrite);
  const Checkpoint source = load_checkpoint(o.input);
  // Converted, it would lose the metadata that says what it is and load as no model at all.
  if (source.metadata.count(kTrainingMetadataKey) != 0) {
    throw Error(Status::invalid_argument,
                fmt::format("'{}' is a training checkpoint (weights, their averages and the "
                            "optimizer's state), not a model file; make a model file from it with "
                            "glide train ... --export MODEL.safetensors",
                            o.input));
  }

  std::map<std::string, std::string> metadata = source.metadata;
  metadata["glide.source_format"] = format_name(source.format);
  metadata["glide.source_file"] = std::filesystem::path(o.input).filename().string();
  metadata["glide.source_bytes"] = std::to_string(std::filesystem::file_size(o.input));
  metadata["glide.converted_by"] = std::string("glide ") + version_string();
  if (!o.dtype.empty()) metadata["glide.dtype"] = o.dtype;

  StateDict out;
  int64_t cast = 0;
  if (o.dtype.empty()) {
    out = source.tensors;
  } else {
    const torch::Dtype dtype = parse_dtype_flag("--dtype", o.dtype);
    for (const auto& [name, t] : source.tensors.items()) {
      if (t.is_floating_point() && t.scalar_type() != dtype) {
        try {
          out.insert(name, io::cast_in_range(name, t, dtype));
        } catch (const Error& e) {
          throw UsageError(fmt::format("--dtype {}: {}", o.dtype, e.what()));
        }
        ++cast;
      } else {
        out.insert(name, t);  // integer and bool tensors, and those already in dtype
      }
    }
  }
  if (source.format == CheckpointFormat::torch_zip) {
    const auto skipped = non_tensor_entries(o.input);
    if (!skipped.empty()) {
      std::string list;
      for (const auto& name : skipped) list += (list.empty() ? "" : ", ") + name;
      fmt::print(stderr, "glide: note: {} non-tensor entries of '{}' are not converted: {}\n",
                 skipped.size(), printable(o.input), printable(list));
    }
  }
  if (format == OutputFormat::safetensors) {
    io::save_safetensors(out, o.output, metadata, o.overwrite);
  } else {
    if (!source.metadata.empty()) {
      fmt::print(stderr,
                 "glide: note: .pt files hold no metadata; the {} metadata entries of '{}' are "
                 "not carried over\n",
                 source.metadata.size(), printable(o.input));
      if (const std::string config = config_to_give(source.metadata); !config.empty()) {
        fmt::print(stderr,
                   "glide: note: among them the model's config: to load '{}', save this line as "
                   "a .json file and give it with --model-config (or --upsampler-model-config):"
                   "\n{}\n",
                   printable(o.output), config);
      }
    }
    io::save_torch_state_dict(out, o.output, o.overwrite);
  }
  const auto plural = [](auto n) { return n == 1 ? "" : "s"; };
  fmt::print("wrote {}: {} tensor{}, {} parameter{}{}\n", printable(o.output), out.size(),
             plural(out.size()), out.parameter_count(), plural(out.parameter_count()),
             o.dtype.empty() ? std::string(", dtypes kept")
                             : fmt::format(", {} floating-point tensor{} cast to {}", cast,
                                           plural(cast), o.dtype));
}

}  // namespace

void add_convert_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "convert",
      "Convert a checkpoint between .pt (what torch.save writes) and .safetensors, either way, "
      "optionally changing the floating-point dtype. OUTPUT's extension picks the format.");
  auto o = std::make_shared<ConvertOptions>();
  cmd->add_option("input", o->input, "The checkpoint to read: .pt or .safetensors")->required();
  cmd->add_option("output", o->output,
                  "The file to write: .safetensors, or .pt/.pth (an OrderedDict of tensors, as "
                  "torch.save(model.state_dict()) writes it)")
      ->required();
  cmd->add_option("--dtype", o->dtype,
                  "Cast floating-point tensors to this dtype; integer and bool tensors are kept. "
                  "Without it every tensor keeps its dtype")
      ->check(CLI::IsMember({"float32", "float16", "bfloat16"}));
  cmd->add_flag("--overwrite", o->overwrite, "Replace OUTPUT if it exists");
  cmd->callback([o] { convert(*o); });
}

}  // namespace glide::cli
