#include "model_files.hpp"

#include <fmt/core.h>
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

#include "core/printable.hpp"
#include "glide/error.hpp"
#include "glide/io/files.hpp"
#include "glide/models/model_options.hpp"
#include "glide/pipeline/default_models.hpp"
#include "glide/tokenizer.hpp"
#include "usage_error.hpp"

namespace glide::cli {

void add_model_flags(CLI::App* cmd, ModelFlags& flags, bool base, bool upsampler,
                     DefaultModels defaults) {
  const std::string fallback = defaults == DefaultModels::shipped
                                   ? " Default: the shipped model pair ($GLIDE_MODEL_DIR when "
                                     "set, else the installed models folder or the source "
                                     "tree's models/)"
                                   : "";
  const char* config_help =
      "A JSON file of the model's options with the reference's names (image_size, "
      "num_channels, ...; diffusion_steps, noise_schedule and prediction set the diffusion; "
      "naming only those keeps the checkpoint's model config). Needed for .pt checkpoints that "
      "are neither official GLIDE models nor carry their config";
  if (base) {
    cmd->add_option("--model", flags.base,
                    "The base model checkpoint (.pt or .safetensors)." + fallback)
        ->group("Models");
    cmd->add_option("--model-config", flags.base_config, config_help)->group("Models");
  }
  if (upsampler) {
    cmd->add_option("--upsampler-model", flags.upsampler,
                    "The upsampler model checkpoint (.pt or .safetensors)." + fallback)
        ->group("Models");
    cmd->add_option("--upsampler-model-config", flags.upsampler_config, config_help)
        ->group("Models");
  }
}

namespace {

// The shipped models are a pair: the shipped upsampler was trained on the shipped base model's
// images, and would silently turn a user's model's images into shapes. So a shipped default is
// taken for one stage only when the other stage's model is the shipped one too, or not named.
void require_shipped_partner(const std::string& role, const ModelFlags& flags,
                             const std::map<std::string, RecordedFile>& recorded,
                             const std::string& shipped_partner) {
  const bool is_base = role == "model";
  const std::string partner_role = is_base ? "upsampler_model" : "model";
  std::string partner = is_base ? flags.upsampler : flags.base;
  std::string source = is_base ? "--upsampler-model" : "--model";
  if (const auto it = recorded.find(partner_role); partner.empty() && it != recorded.end()) {
    partner = it->second.path;
    source = "the image's record";
  }
  std::error_code ec;
  if (partner.empty() || std::filesystem::equivalent(partner, shipped_partner, ec)) return;
  throw UsageError(fmt::format(
      "{} names the {} model '{}' but no {} is given, and the shipped {} only suits the shipped "
      "{}; give {}{}",
      source, is_base ? "upsampler" : "base", printable(partner),
      is_base ? "--model" : "--upsampler-model", is_base ? "base model" : "upsampler",
      is_base ? "upsampler" : "base model", is_base ? "--model" : "--upsampler-model",
      is_base ? "" : " (or --no-upsample for the base model's images)"));
}

}  // namespace

LoadedModel load_stage(const std::string& role, const ModelFlags& flags, DefaultModels defaults,
                       const LoadedRecord& from) {
  const std::map<std::string, RecordedFile>& recorded = from.files;
  const bool is_base = role == "model";
  const std::string flag = is_base ? "--model" : "--upsampler-model";
  const std::string config_role = role + "_config";
  std::string path = is_base ? flags.base : flags.upsampler;
  std::string config = is_base ? flags.base_config : flags.upsampler_config;
  const RecordedFile* was = nullptr;
  LoadedModel loaded;
  loaded.role = role;
  if (path.empty()) {
    if (const auto it = recorded.find(role); it != recorded.end()) {
      was = &it->second;
      path = was->path;
      if (const auto c = recorded.find(config_role); config.empty() && c != recorded.end()) {
        config = c->second.path;
      } else if (const auto v = from.model_configs.find(role);
                 config.empty() && v != from.model_configs.end()) {
        loaded.config_json = v->second;  // given as a value in Python: no file to read
      }
    } else if (defaults == DefaultModels::shipped) {
      DefaultModelPaths found;
      try {
        found = default_model_paths();
      } catch (const Error& e) {
        throw Error(e.status(), fmt::format("no {} given, and {} (--model, --upsampler-model)",
                                            flag, e.what()));
      }
      path = is_base ? found.base : found.upsampler;
      require_shipped_partner(role, flags, recorded, is_base ? found.upsampler : found.base);
    } else {
      throw UsageError(fmt::format("{} is required", flag));
    }
  }

  // The config's text: its diffusion options go over the checkpoint's.
  std::string options = loaded.config_json;
  if (!config.empty()) {
    try {
      options = io::read_file(config);
    } catch (const Error& e) {
      throw Error(e.status(), fmt::format("model config: {}", e.what()));
    }
  }
  const bool from_record = !loaded.config_json.empty();
  try {
    // The config's name in errors: its file, or where the record keeps it.
    const std::string name = from_record ? "model_configs." + role : config;
    std::optional<ModelConfig> model_config;
    if ((from_record || !config.empty()) && names_model_options(options)) {
      model_config = model_options_from_text(options, name).model;
    }
    loaded.stage = load_stage_model_with_options(path, model_config, options,
                                                 fmt::format("model config '{}'", name));
  } catch (const Error& e) {
    if (!from_record) throw;
    throw Error(e.status(), fmt::format("--from {}: {}", from.path, e.what()));
  }
  loaded.files.push_back(record_file(role, path));
  if (!config.empty()) loaded.files.push_back(record_file(config_role, config));
  if (was && was->sha256 != loaded.files.front().sha256) {
    fmt::print(stderr,
               "glide: note: {} '{}' is not the file the image was made with (SHA-256 {}, now "
               "{}); the result will differ\n",
               role, printable(path), was->sha256, loaded.files.front().sha256);
  }
  return loaded;
}

void record_models(ImageRecord& record, std::initializer_list<const LoadedModel*> models) {
  for (const LoadedModel* model : models) {
    for (const RecordedFile& f : model->files) record.files.push_back(f);
    if (!model->config_json.empty()) {
      record.extra["model_configs"][model->role] =
          nlohmann::ordered_json::parse(model->config_json);
    }
  }
}

namespace {

// The first 60 bytes of `text` and "...", cut between UTF-8 characters.
std::string shortened(const std::string& text) {
  constexpr size_t kShown = 60;
  if (text.size() <= kShown) return text;
  size_t end = kShown;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return text.substr(0, end) + "...";
}

}  // namespace

void warn_long_prompts(const GenerationParams& params,
                       std::initializer_list<const LoadedModel*> models) {
  int64_t text_ctx = 0;
  for (const LoadedModel* m : models) {
    if (m && !m->stage.model.is_empty()) {
      const int64_t ctx = m->stage.model->config().text_ctx;
      text_ctx = text_ctx == 0 ? ctx : std::min(text_ctx, ctx);
    }
  }
  if (text_ctx == 0) return;
  std::vector<std::string> prompts = params.prompts;
  prompts.push_back(params.negative_prompt);
  std::sort(prompts.begin(), prompts.end());
  prompts.erase(std::unique(prompts.begin(), prompts.end()), prompts.end());
  // Counting stops at a bound: a prompt of megabytes is not encoded whole to say how long it is.
  constexpr size_t kMaxCounted = 4096;
  for (const std::string& prompt : prompts) {
    const size_t tokens = Tokenizer::gpt2().encode(prompt, kMaxCounted + 1).size();
    if (static_cast<int64_t>(tokens) > text_ctx) {
      fmt::print(stderr,
                 "glide: note: the prompt \"{}\" has {}{} tokens; the model reads only the first "
                 "{} and ignores the rest\n",
                 printable(shortened(prompt)), tokens > kMaxCounted ? "more than " : "",
                 std::min(tokens, kMaxCounted), text_ctx);
    }
  }
}

}  // namespace glide::cli
