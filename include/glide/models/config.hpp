#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace glide {

// A GLIDE network's shape, with the reference implementation's option names and defaults
// (model_and_diffusion_defaults). Diffusion options live in DiffusionConfig.
struct ModelConfig {
  int64_t image_size = 64;
  int64_t num_channels = 192;
  int64_t num_res_blocks = 3;
  std::string channel_mult = "";  // "" picks the reference's default for image_size
  int64_t num_heads = 1;
  int64_t num_head_channels = 64;   // -1: use num_heads instead
  int64_t num_heads_upsample = -1;  // -1: same as num_heads
  std::string attention_resolutions = "32,16,8";
  double dropout = 0.1;
  int64_t text_ctx = 128;
  // The longest text context validate() accepts (far above GLIDE's 128).
  static constexpr int64_t kMaxTextCtx = 65536;
  int64_t xf_width = 512;
  int64_t xf_layers = 16;
  int64_t xf_heads = 8;
  bool xf_final_ln = true;
  bool xf_padding = true;
  bool use_scale_shift_norm = true;
  bool resblock_updown = true;
  bool inpaint = false;
  bool super_res = false;
  int64_t n_vocab = 50257;  // GPT-2's vocabulary

  // The four official models' shapes.
  static ModelConfig base();
  static ModelConfig upsampler();
  static ModelConfig base_inpaint();
  static ModelConfig upsampler_inpaint();
  // The same architecture at small sizes (16×16 base, 64×64 upsampler, 32 channels, a one-layer
  // text encoder): a whole benchmark run in seconds on a CPU (`glide bench --preset tiny`), quick
  // checks on a GPU.
  static ModelConfig tiny_base();
  static ModelConfig tiny_upsampler();

  // JSON with the reference's option names; unknown names are an error, missing ones default.
  static ModelConfig from_json(const std::string& json_text);
  std::string to_json() const;

  // Throws glide::Error(invalid_argument) naming the option, its value and what is allowed.
  void validate() const;

  // Derived values, after validation.
  std::vector<int64_t> channel_multipliers() const;
  std::vector<int64_t> attention_downsample_rates() const;  // image_size / resolution
  int64_t in_channels() const;                              // 3, 6, 7 or 10 by variant
  int64_t out_channels() const { return 6; }                // eps and the variance interpolation
};

}  // namespace glide
