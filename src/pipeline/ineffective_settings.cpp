#include "glide/pipeline/ineffective_settings.hpp"

namespace glide {

std::vector<IneffectiveSetting> ineffective_settings(const GenerationParams& params,
                                                     const std::vector<std::string>& fields_set,
                                                     bool base_runs, bool upsampler_runs) {
  using Reason = IneffectiveSetting::Reason;
  std::vector<IneffectiveSetting> found;
  for (const std::string& field : fields_set) {
    if (field == "negative_prompt") {
      // Guidance mixes the conditional prediction with the one for this prompt (Ho & Salimans
      // 2022, eq. 6); an unguided stage reads only the caption.
      if (!(base_runs && params.base.guided) && !(upsampler_runs && params.upsampler.guided)) {
        found.push_back({field, Reason::no_stage_guided});
      }
      continue;
    }
    const size_t dot = field.find('.');
    if (dot == std::string::npos) continue;
    const std::string stage_name = field.substr(0, dot);
    const std::string member = field.substr(dot + 1);
    const bool is_base = stage_name == "base";
    if (!is_base && stage_name != "upsampler") continue;
    if (!(is_base ? base_runs : upsampler_runs)) {
      found.push_back({field, Reason::stage_not_run});
      continue;
    }
    const StageParams& stage = is_base ? params.base : params.upsampler;
    if ((member == "guidance_scale" || member == "guidance_rescale") && !stage.guided) {
      found.push_back({field, Reason::stage_unguided});
    } else if (member == "dynamic_percentile" && stage.thresholding != "dynamic") {
      found.push_back({field, Reason::thresholding_not_dynamic});
    }
  }
  return found;
}

}  // namespace glide
