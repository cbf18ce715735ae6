#pragma once

#include <string>
#include <vector>

#include "glide/pipeline/generation_params.hpp"

namespace glide {

// A setting the other settings make pointless. The pipeline ignores such a value rather than
// refusing it (a guidance scale left on an unguided stage is common and harmless); front ends
// tell the user, each in its own words (the CLI's notes, Python's warnings).
struct IneffectiveSetting {
  enum class Reason {
    stage_not_run,             // a setting of the upsampler when it does not run
    stage_unguided,            // guidance_scale or guidance_rescale of an unguided stage
    thresholding_not_dynamic,  // dynamic_percentile without dynamic thresholding
    no_stage_guided,           // negative_prompt, which only guidance reads
  };
  std::string field;  // as validate() names fields: "base.guidance_scale", "negative_prompt"
  Reason reason;
};

// Which of `fields_set` (the fields the user set, named as above) have no effect on a generation
// with `params`, given which stages run.
std::vector<IneffectiveSetting> ineffective_settings(const GenerationParams& params,
                                                     const std::vector<std::string>& fields_set,
                                                     bool base_runs, bool upsampler_runs);

}  // namespace glide
