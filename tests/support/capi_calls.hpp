#pragma once

// Helpers of the C ABI's tests (tests/test_capi*.cpp).
#include <fstream>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <string>

#include "glide.h"
#include "support/catch_torch.hpp"  // Catch2 after LibTorch, whose glog CHECK it replaces
#include "support/goldens.hpp"

namespace glide::test {

// Requires `rc` to be `status` and the thread's message to contain each of `parts`.
inline void require_failure(int rc, int status, std::initializer_list<const char*> parts) {
  INFO("message: " << glide_error_last());
  REQUIRE(rc == status);
  for (const char* part : parts)
    CHECK(std::string(glide_error_last()).find(part) != std::string::npos);
}

// The options of a golden case (models.json) as the ModelConfig JSON the C ABI accepts.
inline std::string golden_config_json(const std::string& case_name) {
  std::ifstream in(*glide::test::golden_path("models.json"));
  return nlohmann::json::parse(in).at(case_name).at("options").dump();
}

// A pipeline over the golden text2im and superres models.
inline glide_pipeline* golden_pipeline(const std::string& base_path,
                                       const std::string& upsampler_path) {
  const std::string base_config = golden_config_json("text2im");
  const std::string upsampler_config = golden_config_json("superres");
  glide_pipeline_params pp;
  REQUIRE(glide_pipeline_params_init(&pp, GLIDE_PIPELINE_PARAMS_VERSION) == GLIDE_OK);
  pp.base_checkpoint = base_path.c_str();
  pp.base_config = base_config.c_str();
  pp.upsampler_checkpoint = upsampler_path.c_str();
  pp.upsampler_config = upsampler_config.c_str();
  glide_pipeline* pipeline = nullptr;
  REQUIRE(glide_pipeline_create(&pp, &pipeline) == GLIDE_OK);
  REQUIRE(pipeline != nullptr);
  return pipeline;
}

// A pipeline over `base` alone, with `config` (NULL: the checkpoint's own).
inline glide_pipeline* base_pipeline(const std::string& base, const char* config) {
  glide_pipeline_params pp;
  REQUIRE(glide_pipeline_params_init(&pp, GLIDE_PIPELINE_PARAMS_VERSION) == GLIDE_OK);
  pp.base_checkpoint = base.c_str();
  pp.base_config = config;
  glide_pipeline* pipeline = nullptr;
  const int rc = glide_pipeline_create(&pp, &pipeline);
  INFO(glide_error_last());
  REQUIRE(rc == GLIDE_OK);
  return pipeline;
}

// The defaults with one prompt (an array that outlives the result) through the base stage
// alone, in `steps` steps.
inline glide_generate_params base_only_params(const char* const* prompt, const char* steps) {
  glide_generate_params gp;
  REQUIRE(glide_generate_params_init(&gp, GLIDE_GENERATE_PARAMS_VERSION) == GLIDE_OK);
  gp.prompts = prompt;
  gp.prompt_count = 1;
  gp.base.respacing = steps;
  gp.upsample = false;
  return gp;
}

}  // namespace glide::test
