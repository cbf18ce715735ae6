#include <ATen/ATen.h>
#include <fmt/format.h>
#include <torch/nn/module.h>

#include <algorithm>
#include <filesystem>

#include "glide/io/checkpoint.hpp"
#include "parity/parity.hpp"

namespace glide::parity {
namespace {

torch::Tensor optional_tensor(const io::Value& file, const char* key) {
  const auto* v = file.find(key);
  return v && v->is_tensor() ? v->as_tensor() : torch::Tensor();
}

// forward_<case>.pt: the UNet's output and the text encoder's two outputs.
CaseResult run_forward_case(const std::string& dir, const std::string& case_name) {
  CaseResult result{"forward_" + case_name};
  auto model = load_golden_model(dir, case_name).model;
  const auto file = io::load_torch_file(
      (std::filesystem::path(dir) / ("forward_" + case_name + ".pt")).string());
  torch::InferenceMode inference;
  const auto text =
      model->encode_text(file.at("tokens").as_tensor(), optional_tensor(file, "mask"));
  const Conditioning cond{optional_tensor(file, "low_res"), optional_tensor(file, "inpaint_image"),
                          optional_tensor(file, "inpaint_mask")};
  const auto out = model->forward(file.at("x").as_tensor(), file.at("t").as_tensor(), text, cond);
  const double out_error = max_abs_error(out, file.at("out").as_tensor());
  const double proj_error = max_abs_error(text.xf_proj, file.at("xf_proj").as_tensor());
  const double xf_error = max_abs_error(text.xf_out, file.at("xf_out").as_tensor());
  result.max_error = std::max({out_error, proj_error, xf_error});
  result.passed = result.max_error <= kTolerance;
  result.detail = fmt::format("out {:.2e}, xf_proj {:.2e}, xf_out {:.2e}", out_error, proj_error,
                              xf_error);
  return result;
}

}  // namespace

std::vector<CaseResult> run_forward_cases(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const auto file = entry.path().filename().string();
    if (file.rfind("forward_", 0) == 0 && entry.path().extension() == ".pt") {
      names.push_back(file.substr(8, file.size() - 8 - 3));
    }
  }
  std::sort(names.begin(), names.end());
  std::vector<CaseResult> results;
  for (const auto& name : names) {
    try {
      results.push_back(run_forward_case(dir, name));
    } catch (const std::exception& e) {
      results.push_back({"forward_" + name, std::numeric_limits<double>::infinity(), false, e.what()});
    }
  }
  return results;
}

}  // namespace glide::parity
