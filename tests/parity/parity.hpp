#pragma once

// Parity cases against a folder in the reference goldens' format (../shared/goldens/README.md).
// Shared by the Catch2 tests and the `glide-parity` runner.

#include <torch/types.h>

#include <string>
#include <vector>

#include "glide/diffusion/denoise_fn.hpp"
#include "glide/models/text2im_unet.hpp"

namespace glide::parity {

constexpr double kTolerance = 1e-4;  // max absolute error in float32, from the goldens' README

struct CaseResult {
  std::string name;
  double max_error = 0;
  bool passed = false;
  std::string detail;  // why it failed, or what was compared
};

// The model of a golden case: built from models.json's options, loaded from model_<name>.pt
// through glide's own checkpoint reader, with the noise schedule it was made for.
struct GoldenModel {
  Text2ImUNet model{nullptr};
  std::string noise_schedule;
};
GoldenModel load_golden_model(const std::string& dir, const std::string& case_name);

// The golden text2im model conditioned on [prompts; empty prompts], GLIDE's classifier-free
// guidance batch, as a denoise function (text encoded once); wrap it in
// classifier_free_guidance() to guide it.
DenoiseFn golden_text2im_denoise_fn(const std::string& dir,
                                    const std::vector<std::string>& prompts);

double max_abs_error(const torch::Tensor& actual, const torch::Tensor& expected);

// Where and in which precision the forward cases run. float32 must meet kTolerance; reduced
// precisions are bounded relative to the output's magnitude (reduced_precision_bound).
struct RunOptions {
  torch::Device device = torch::kCPU;
  torch::Dtype dtype = torch::kFloat32;
};
// The bound for a reduced-precision run: a fraction of the reference output's largest magnitude
// (bfloat16 keeps 8 mantissa bits, float16 11).
double reduced_precision_bound(torch::Dtype dtype, double output_scale);

// Runs every case of each kind found in `dir`; a missing file means the case is not listed.
std::vector<CaseResult> run_forward_cases(const std::string& dir, const RunOptions& options = {});
// sampling_text2im.pt, sampling_superres.pt, sampling_inpaint.pt: one result per trajectory.
std::vector<CaseResult> run_sampling_cases(const std::string& dir);
// Sampling cases run on the CPU in float32 whatever the options say.
std::vector<CaseResult> run_all_cases(const std::string& dir, const RunOptions& options = {});

}  // namespace glide::parity
