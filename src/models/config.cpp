#include "glide/models/config.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "glide/error.hpp"
#include "glide/models/model_options.hpp"
#include "io/json_text.hpp"

namespace glide {
namespace {

std::vector<int64_t> parse_int_list(const std::string& option, const std::string& text) {
  std::vector<int64_t> values;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t comma = std::min(text.find(',', start), text.size());
    const std::string item = text.substr(start, comma - start);
    size_t used = 0;
    int64_t value = 0;
    try {
      value = std::stoll(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (item.empty() || used != item.size() || value <= 0) {
      throw Error(Status::invalid_argument,
                  fmt::format("model option {}=\"{}\": \"{}\" is not a positive integer; expected "
                              "comma-separated positive integers",
                              option, text, item));
    }
    values.push_back(value);
    start = comma + 1;
  }
  return values;
}

void require(bool ok, const std::string& message) {
  if (!ok) throw Error(Status::invalid_argument, message);
}

// Upper bounds far above any GLIDE model (the official ones in the comments), so that a typo such
// as text_ctx=1e12 is named here instead of failing as an allocation deep inside LibTorch, or
// building a billion layers.
constexpr int64_t kMaxImageSize = 4096;          // 256
constexpr int64_t kMaxChannels = 16384;          // 192
constexpr int64_t kMaxChannelMult = 64;          // 4
constexpr int64_t kMaxResBlocks = 64;            // 3
constexpr int64_t kMaxWidth = 65536;             // 2048
constexpr int64_t kMaxLayers = 1024;             // 16
constexpr int64_t kMaxVocab = int64_t{1} << 24;  // 50257

void require_range(const char* option, int64_t value, int64_t low, int64_t high) {
  require(value >= low && value <= high,
          fmt::format("model option {}={} must be from {} to {}", option, value, low, high));
}

}  // namespace

ModelConfig ModelConfig::base() {
  return ModelConfig{};
}

ModelConfig ModelConfig::upsampler() {
  ModelConfig c;
  c.image_size = 256;
  c.num_res_blocks = 2;
  c.super_res = true;
  return c;
}

ModelConfig ModelConfig::base_inpaint() {
  ModelConfig c = base();
  c.inpaint = true;
  return c;
}

ModelConfig ModelConfig::upsampler_inpaint() {
  ModelConfig c = upsampler();
  c.inpaint = true;
  return c;
}

ModelConfig ModelConfig::tiny_base() {
  ModelConfig c;
  c.image_size = 16;
  c.num_channels = 32;
  c.num_res_blocks = 1;
  c.channel_mult = "1,2";
  c.num_head_channels = 16;
  c.attention_resolutions = "8";
  c.dropout = 0.0;
  c.text_ctx = 16;
  c.xf_width = 32;
  c.xf_layers = 1;
  c.xf_heads = 1;
  return c;
}

ModelConfig ModelConfig::tiny_upsampler() {
  ModelConfig c = tiny_base();
  c.image_size = 64;
  c.channel_mult = "1,1,2,2";
  c.super_res = true;
  return c;
}

std::vector<int64_t> ModelConfig::channel_multipliers() const {
  if (!channel_mult.empty()) return parse_int_list("channel_mult", channel_mult);
  // The reference's defaults for its three supported sizes.
  switch (image_size) {
    case 256: return {1, 1, 2, 2, 4, 4};
    case 128: return {1, 1, 2, 3, 4};
    case 64: return {1, 2, 3, 4};
    default:
      throw Error(Status::invalid_argument,
                  fmt::format("model option image_size={} has no default channel_mult (the "
                              "defaults cover 64, 128 and 256); give channel_mult explicitly",
                              image_size));
  }
}

std::vector<int64_t> ModelConfig::attention_downsample_rates() const {
  std::vector<int64_t> rates;
  for (int64_t resolution : parse_int_list("attention_resolutions", attention_resolutions)) {
    require(image_size % resolution == 0,
            fmt::format("model option attention_resolutions=\"{}\": {} does not divide "
                        "image_size {}",
                        attention_resolutions, resolution, image_size));
    rates.push_back(image_size / resolution);
  }
  return rates;
}

int64_t ModelConfig::in_channels() const {
  int64_t channels = 3;
  if (inpaint) channels += 3 + 1;  // the known image (masked) and the mask
  if (super_res) channels += 3;    // the upsampled low-resolution image
  return channels;
}

void ModelConfig::validate() const {
  require_range("image_size", image_size, 1, kMaxImageSize);
  require(num_channels > 0 && num_channels % 32 == 0 && num_channels <= kMaxChannels,
          fmt::format("model option num_channels={} must be a multiple of 32 (GroupNorm uses 32 "
                      "groups) from 32 to {}",
                      num_channels, kMaxChannels));
  require_range("num_res_blocks", num_res_blocks, 1, kMaxResBlocks);
  const auto mults = channel_multipliers();
  for (const int64_t mult : mults)
    require_range("channel_mult's entries", mult, 1, kMaxChannelMult);
  if (!channel_mult.empty()) {
    require(mults.size() <= 10, fmt::format("model option channel_mult=\"{}\" has {} levels; "
                                            "expected at most 10 (image_size <= {})",
                                            channel_mult, mults.size(), kMaxImageSize));
    // The reference requires 2^(levels + 2) == image_size for explicit multipliers.
    require((int64_t{1} << (mults.size() + 2)) == image_size,
            fmt::format("model options channel_mult=\"{}\" ({} levels) and image_size={} do not "
                        "fit: expected image_size = 2^(levels + 2) = {}",
                        channel_mult, mults.size(), image_size, int64_t{1} << (mults.size() + 2)));
  }
  attention_downsample_rates();
  require(dropout >= 0.0 && dropout < 1.0,
          fmt::format("model option dropout={} must be in [0, 1)", dropout));
  auto check_heads = [&](int64_t heads, const char* name) {
    for (int64_t mult : mults) {
      const int64_t channels = mult * num_channels;
      if (num_head_channels == -1) {
        require(heads > 0 && channels % heads == 0,
                fmt::format("model option {}={} does not divide the {} channels of a level "
                            "(channel_mult {} x num_channels {})",
                            name, heads, channels, mult, num_channels));
      } else {
        require(num_head_channels > 0 && channels % num_head_channels == 0,
                fmt::format("model option num_head_channels={} does not divide the {} channels of "
                            "a level (channel_mult {} x num_channels {}); use -1 to use num_heads",
                            num_head_channels, channels, mult, num_channels));
      }
    }
  };
  check_heads(num_heads, "num_heads");
  check_heads(num_heads_upsample == -1 ? num_heads : num_heads_upsample, "num_heads_upsample");
  require_range("text_ctx", text_ctx, 1, ModelConfig::kMaxTextCtx);
  require(xf_width > 0, fmt::format("model option xf_width={} must be positive (models without "
                                    "a text encoder are not supported)",
                                    xf_width));
  require_range("xf_width", xf_width, 1, kMaxWidth);
  require_range("xf_layers", xf_layers, 0, kMaxLayers);
  require(xf_heads > 0 && xf_width % xf_heads == 0,
          fmt::format("model option xf_heads={} must divide xf_width={}", xf_heads, xf_width));
  require_range("n_vocab", n_vocab, 1, kMaxVocab);
}

std::string ModelConfig::to_json() const {
  nlohmann::ordered_json j;
  j["image_size"] = image_size;
  j["num_channels"] = num_channels;
  j["num_res_blocks"] = num_res_blocks;
  j["channel_mult"] = channel_mult;
  j["num_heads"] = num_heads;
  j["num_head_channels"] = num_head_channels;
  j["num_heads_upsample"] = num_heads_upsample;
  j["attention_resolutions"] = attention_resolutions;
  j["dropout"] = dropout;
  j["text_ctx"] = text_ctx;
  j["xf_width"] = xf_width;
  j["xf_layers"] = xf_layers;
  j["xf_heads"] = xf_heads;
  j["xf_final_ln"] = xf_final_ln;
  j["xf_padding"] = xf_padding;
  j["use_scale_shift_norm"] = use_scale_shift_norm;
  j["resblock_updown"] = resblock_updown;
  j["inpaint"] = inpaint;
  j["super_res"] = super_res;
  j["n_vocab"] = n_vocab;
  return j.dump(2);
}

ModelConfig ModelConfig::from_json(const std::string& json_text) {
  const nlohmann::json j = detail::parse_json(json_text, "model config");
  if (!j.is_object()) {
    throw Error(Status::invalid_format, "model config JSON must be an object of option names");
  }
  ModelConfig c;
  auto read = [&](const std::string& key, const nlohmann::json& value, auto& field) {
    using Field = std::decay_t<decltype(field)>;
    bool ok = false;
    if constexpr (std::is_same_v<Field, bool>) {
      ok = value.is_boolean();
    } else if constexpr (std::is_same_v<Field, std::string>) {
      ok = value.is_string() || value.is_number_integer();  // "8" and 8 both mean one value
      if (value.is_number_integer()) {
        field = std::to_string(value.get<int64_t>());
        return;
      }
    } else if constexpr (std::is_floating_point_v<Field>) {
      ok = value.is_number();
    } else {
      ok = value.is_number_integer();
    }
    if (!ok) {
      throw Error(Status::invalid_argument,
                  fmt::format("model option {} has the wrong type ({}): {}", key, value.type_name(),
                              value.dump()));
    }
    field = value.get<Field>();
  };
  for (const auto& [key, value] : j.items()) {
    if (key == "image_size")
      read(key, value, c.image_size);
    else if (key == "num_channels")
      read(key, value, c.num_channels);
    else if (key == "num_res_blocks")
      read(key, value, c.num_res_blocks);
    else if (key == "channel_mult")
      read(key, value, c.channel_mult);
    else if (key == "num_heads")
      read(key, value, c.num_heads);
    else if (key == "num_head_channels")
      read(key, value, c.num_head_channels);
    else if (key == "num_heads_upsample")
      read(key, value, c.num_heads_upsample);
    else if (key == "attention_resolutions")
      read(key, value, c.attention_resolutions);
    else if (key == "dropout")
      read(key, value, c.dropout);
    else if (key == "text_ctx")
      read(key, value, c.text_ctx);
    else if (key == "xf_width")
      read(key, value, c.xf_width);
    else if (key == "xf_layers")
      read(key, value, c.xf_layers);
    else if (key == "xf_heads")
      read(key, value, c.xf_heads);
    else if (key == "xf_final_ln")
      read(key, value, c.xf_final_ln);
    else if (key == "xf_padding")
      read(key, value, c.xf_padding);
    else if (key == "use_scale_shift_norm")
      read(key, value, c.use_scale_shift_norm);
    else if (key == "resblock_updown")
      read(key, value, c.resblock_updown);
    else if (key == "inpaint")
      read(key, value, c.inpaint);
    else if (key == "super_res")
      read(key, value, c.super_res);
    else if (key == "n_vocab")
      read(key, value, c.n_vocab);
    else if (key == "timestep_respacing" &&
             !(value.is_string() && value.get<std::string>().empty())) {
      // The reference respaces when it builds the diffusion; here the steps are chosen per call.
      throw Error(Status::invalid_argument,
                  fmt::format("model option timestep_respacing={} is not read from a model "
                              "config: the sampling steps are chosen per call (the CLI's "
                              "--base-steps / --upsampler-steps, Python's base_respacing / "
                              "upsampler_respacing, StageParams::respacing); remove it or set \"\"",
                              value.dump()));
    } else if (!is_non_model_option(key)) {  // those are read elsewhere
      throw Error(Status::invalid_argument,
                  fmt::format("unknown model option \"{}\" in model config JSON", key));
    }
  }
  c.validate();
  return c;
}

}  // namespace glide
