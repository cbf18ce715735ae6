#include <fmt/format.h>
#include <torch/nn/module.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "glide/error.hpp"
#include "glide/io/checkpoint.hpp"
#include "parity/parity.hpp"

namespace glide::parity {

GoldenModel load_golden_model(const std::string& dir, const std::string& case_name) {
  const auto models_json = std::filesystem::path(dir) / "models.json";
  std::ifstream in(models_json);
  if (!in) throw Error(Status::not_found, fmt::format("{} cannot be opened", models_json.string()));
  const auto all = nlohmann::json::parse(in);
  if (!all.contains(case_name)) {
    throw Error(Status::not_found,
                fmt::format("{} has no case \"{}\"", models_json.string(), case_name));
  }
  const auto& options = all.at(case_name).at("options");
  Text2ImUNet model(ModelConfig::from_json(options.dump()));
  load_state_dict(*model,
                  io::load_torch_state_dict(
                      (std::filesystem::path(dir) / ("model_" + case_name + ".pt")).string()));
  model->eval();
  return {model, options.value("noise_schedule", "squaredcos_cap_v2")};
}

double max_abs_error(const torch::Tensor& actual, const torch::Tensor& expected) {
  if (actual.sizes() != expected.sizes()) return std::numeric_limits<double>::infinity();
  return (actual.to(torch::kDouble) - expected.to(torch::kDouble)).abs().max().item<double>();
}

double reduced_precision_bound(torch::Dtype dtype, double output_scale) {
  return (dtype == torch::kBFloat16 ? 5e-2 : 1e-2) * output_scale;
}

std::vector<CaseResult> run_all_cases(const std::string& dir, const RunOptions& options) {
  auto results = run_forward_cases(dir, options);
  for (auto& r : run_sampling_cases(dir)) results.push_back(std::move(r));
  return results;
}

}  // namespace glide::parity
