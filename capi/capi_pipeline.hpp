#pragma once

// The glide_pipeline handle: the models, where they run, the files they came from.
#include <atomic>
#include <cstdint>
#include <memory>

#include "capi_records.hpp"
#include "glide/pipeline/guided_sampler.hpp"

struct glide_pipeline {
  std::unique_ptr<glide::GuidedSampler> sampler;
  torch::Device device = torch::kCPU;
  torch::Dtype dtype = torch::kFloat32;
  glide::capi::PipelineModelFiles model_files;  // what save_path records
  // The calls in progress (1, or 2 while one is being refused), plus kFreeRequested once
  // glide_pipeline_free was called during one. One atomic word, so that whichever of the last
  // call's return and the free comes second deletes the pipeline, even across threads (which
  // glide.h forbids, but a mistaken second thread must not free it under a call).
  static constexpr uint32_t kFreeRequested = 1u << 31;
  std::atomic<uint32_t> calls_and_free{0};
};
