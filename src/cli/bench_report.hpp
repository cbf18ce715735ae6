#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "bench_device.hpp"
#include "bench_timing.hpp"

// What `glide bench` measured, and its two renderings: a table for people, JSON for scripts.
namespace glide::cli::bench {

struct StepResult {
  int64_t batch = 0;  // images
  int64_t rows = 0;   // network rows: 2 per image with classifier-free guidance
  Timing ms;
  std::optional<double> tflops;  // when the network's FLOP count is known
  double peak_mib = 0;
  std::optional<OpProfile> profile;  // --profile
};

struct PipelineResult {
  int64_t batch = 0;
  PipelineTiming timing;
  double images_per_s = 0;
  std::optional<double> tflops;
  double peak_mib = 0;
  std::optional<SyncCount> syncs;  // --count-syncs: one more call, counted
};

struct BenchReport {
  DeviceInfo device;
  std::string dtype;
  int threads = 0;
  int repeats = 0;
  std::string base_model, upsampler_model;      // where the weights came from; "" when not used
  std::string base_sampler, upsampler_sampler;  // the pipeline's samplers ("ddpm", "ddim")
  bool base_guided = true;                      // classifier-free guidance in the base stage
  bool pipeline_rebind = false;                 // networks bound afresh in every timed run
  std::vector<std::pair<std::string, std::string>> environment;  // GLIDE_* variables set
  std::vector<StepResult> base_steps, upsampler_steps;
  std::vector<PipelineResult> pipelines;
  std::string memory_source;
  double peak_mib = 0;  // the largest phase peak
};

std::string format_table(const BenchReport& report);
std::string format_json(const BenchReport& report);

}  // namespace glide::cli::bench
