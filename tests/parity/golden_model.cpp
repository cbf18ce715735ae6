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

Text2ImUNet load_golden_model(const std::string& dir, const std::string& case_name) {
  const auto models_json = std::filesystem::path(dir) / "models.json";
  std::ifstream in(models_json);
  if (!in) throw Error(Status::not_found, fmt::format("{} cannot be opened", models_json.string()));
  const auto all = nlohmann::json::parse(in);
  if (!all.contains(case_name)) {
    throw Error(Status::not_found,
                fmt::format("{} has no case \"{}\"", models_json.string(), case_name));
  }
  const auto config = ModelConfig::from_json(all.at(case_name).at("options").dump());
  Text2ImUNet model(config);
  load_state_dict(*model, io::load_torch_state_dict(
                              (std::filesystem::path(dir) / ("model_" + case_name + ".pt")).string()));
  model->eval();
  return model;
}

double max_abs_error(const torch::Tensor& actual, const torch::Tensor& expected) {
  if (actual.sizes() != expected.sizes()) return std::numeric_limits<double>::infinity();
  return (actual.to(torch::kDouble) - expected.to(torch::kDouble)).abs().max().item<double>();
}

std::vector<CaseResult> run_all_cases(const std::string& dir) { return run_forward_cases(dir); }

}  // namespace glide::parity
