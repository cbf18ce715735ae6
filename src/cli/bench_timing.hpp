#pragma once

#include <torch/types.h>

#include <cstdint>
#include <optional>
#include <vector>

#include "bench_profile.hpp"
#include "glide/models/text2im_unet.hpp"
#include "glide/pipeline/generation_params.hpp"
#include "glide/pipeline/guided_sampler.hpp"

// Wall-clock timing for `glide bench`: one warm-up, then the median of the repeats.
namespace glide::cli::bench {

struct Timing {
  double median = 0, min = 0, max = 0;  // in the unit the caller measured
};

// Median, minimum and maximum of non-empty samples.
Timing summarize(std::vector<double> samples);

// Waits for queued device work, so a clock read after it covers that work.
void synchronize(const torch::Device& device);

struct StepTiming {
  Timing ms;
  std::optional<OpProfile> profile;
};

// Milliseconds of one network evaluation over `rows` rows (the text encoder runs once, outside
// the timing, as in sampling). The model must already be on `device` in its compute dtype. With
// profile_top > 0, three more evaluations run under the profiler after the timed ones, and the
// profile keeps that many operations.
StepTiming time_network_step(const Text2ImUNet& model, int64_t rows, const torch::Device& device,
                             int repeats, size_t profile_top = 0);

struct PipelineTiming {
  Timing seconds;          // one GuidedSampler::generate call
  int64_t base_steps = 0;  // denoising steps each stage ran
  int64_t upsampler_steps = 0;
};

// Seconds of GuidedSampler::generate(params); the warm-up runs 2 steps per stage at the same
// batch size (shapes, allocator pools and cuDNN's algorithm choice are what it warms). The timed
// runs reuse the networks the warm-up left bound (on CUDA, its graphs), as repeated calls on one
// sampler do; with `rebind` each timed run binds them afresh, as a one-shot generation does.
PipelineTiming time_pipeline(GuidedSampler& sampler, const GenerationParams& params, int repeats,
                             bool rebind);

}  // namespace glide::cli::bench
