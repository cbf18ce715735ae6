// Up-front validation of every generation hyperparameter; each error names the field.
#include <ATen/Context.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>

#include "glide/device_and_dtype.hpp"
#include "glide/diffusion/schedule.hpp"
#include "glide/error.hpp"
#include "glide/pipeline/generation_params.hpp"
#include "glide/samplers/sampler.hpp"
#include "glide/tokenizer.hpp"

namespace glide {
namespace {

[[noreturn]] void invalid(const std::string& message) {
  throw Error(Status::invalid_argument, message);
}

void check_range(const std::string& field, double value, double lo, double hi, bool lo_open) {
  const bool above_lo = lo_open ? value > lo : value >= lo;
  if (!(std::isfinite(value) && above_lo && value <= hi)) {
    invalid(fmt::format("{} is {}; it must lie in {}{}, {}]", field, value, lo_open ? "(" : "[", lo,
                        hi));
  }
}

}  // namespace

StageParams StageParams::base_defaults() {
  return StageParams{};
}

StageParams StageParams::upsampler_defaults() {
  StageParams p;
  p.sampler = "ddim";
  p.respacing = "fast27";
  p.guided = false;
  p.temperature = 0.997;
  return p;
}

StageParams StageParams::upsampler_inpaint_defaults() {
  StageParams p = upsampler_defaults();
  p.sampler = "ddpm";
  return p;
}

void StageParams::validate(const std::string& stage, int64_t diffusion_steps) const {
  const std::string at = stage + ".";
  const auto names = sampler_names();
  if (std::find(names.begin(), names.end(), sampler) == names.end()) {
    invalid(fmt::format("{}sampler is \"{}\"; expected one of: {}", at, sampler,
                        fmt::join(names, ", ")));
  }
  if (eta && !std::isfinite(*eta)) invalid(fmt::format("{}eta is {}; it must be finite", at, *eta));
  try {
    make_sampler(sampler, SamplerParams{eta});  // each sampler knows which eta it accepts
  } catch (const Error& e) {
    invalid(fmt::format("{}eta is {} with sampler \"{}\": {}", at,
                        eta ? fmt::format("{}", *eta) : "unset", sampler, e.what()));
  }
  try {
    // Without the model's step count only the form can be checked ("ddim1001" suits a
    // 1001-step model, not a 1000-step one).
    if (diffusion_steps > 0) {
      space_timesteps(diffusion_steps, respacing);
    } else {
      check_respacing(respacing);
    }
  } catch (const Error& e) {
    invalid(diffusion_steps > 0
                ? fmt::format("{}respacing is \"{}\", impossible for a {}-step process: {}", at,
                              respacing, diffusion_steps, e.what())
                : fmt::format("{}respacing is \"{}\": {}", at, respacing, e.what()));
  }
  if (!std::isfinite(guidance_scale) || guidance_scale < 0) {
    invalid(
        fmt::format("{}guidance_scale is {}; it must be a finite number >= 0 (1: conditional "
                    "model alone, 0: unconditional alone)",
                    at, guidance_scale));
  }
  check_range(at + "guidance_rescale", guidance_rescale, 0.0, 1.0, /*lo_open=*/false);
  if (thresholding != "clip" && thresholding != "dynamic" && thresholding != "none") {
    invalid(fmt::format("{}thresholding is \"{}\"; expected one of: clip, dynamic, none", at,
                        thresholding));
  }
  check_range(at + "dynamic_percentile", dynamic_percentile, 0.0, 1.0, /*lo_open=*/true);
  if (!(std::isfinite(temperature) && temperature > 0)) {
    invalid(fmt::format("{}temperature is {}; it must be a finite number > 0", at, temperature));
  }
}

void GenerationParams::validate() const {
  if (!(batch_size >= 1 && batch_size <= kMaxBatchSize)) {
    invalid(fmt::format("batch_size is {}; it must lie in [1, {}]", batch_size, kMaxBatchSize));
  }
  if (prompts.empty()) invalid("prompts is empty; give one prompt, or one for every image");
  if (prompts.size() != 1 && static_cast<int64_t>(prompts.size()) != batch_size) {
    invalid(
        fmt::format("prompts has {} entries but batch_size is {}; give batch_size = {} (one "
                    "image per prompt), or one prompt for every image",
                    prompts.size(), batch_size, prompts.size()));
  }
  for (size_t i = 0; i < prompts.size(); ++i) {
    try {
      Tokenizer::check_text(prompts[i]);
    } catch (const Error& e) {
      invalid(fmt::format("prompts[{}] cannot be tokenized: {}", i, e.what()));
    }
  }
  try {
    Tokenizer::check_text(negative_prompt);
  } catch (const Error& e) {
    invalid(fmt::format("negative_prompt cannot be tokenized: {}", e.what()));
  }
  base.validate("base");
  upsampler.validate("upsampler");

  check_device_and_dtype(device, dtype);
}

std::vector<std::string> GenerationParams::expanded_prompts() const {
  if (prompts.size() == 1)
    return std::vector<std::string>(static_cast<size_t>(batch_size), prompts[0]);
  return prompts;
}

}  // namespace glide
