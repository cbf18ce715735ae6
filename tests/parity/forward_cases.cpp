#include <ATen/ATen.h>
#include <fmt/format.h>
#include <torch/nn/module.h>

#include <algorithm>
#include <filesystem>

#include "glide/io/checkpoint.hpp"
#include "glide/models/attention_path.hpp"
#include "glide/models/network_call.hpp"
#include "parity/parity.hpp"

namespace glide::parity {
namespace {

torch::Tensor optional_tensor(const io::Value& file, const char* key) {
  const auto* v = file.find(key);
  return v && v->is_tensor() ? v->as_tensor() : torch::Tensor();
}

// Whether the model's convolution weights are in channels-last order (GLIDE_CHANNELS_LAST=1).
bool channels_last(torch::nn::Module& model) {
  for (const auto& p : model.parameters()) {
    if (p.dim() == 4 && p.size(1) > 1 && !p.is_contiguous() &&
        p.is_contiguous(at::MemoryFormat::ChannelsLast)) {
      return true;
    }
  }
  return false;
}

// forward_<case>.pt: the UNet's output and the text encoder's two outputs.
CaseResult run_forward_case(const std::string& dir, const std::string& case_name,
                            const RunOptions& options) {
  const bool reduced = options.dtype != torch::kFloat32;
  CaseResult result{"forward_" + case_name};
  if (!options.device.is_cpu() || reduced) {
    result.name += fmt::format("[{}, {}]", options.device.str(), c10::toString(options.dtype));
  }
  auto model = load_golden_model(dir, case_name).model;
  model->to(options.device);
  model->set_compute_dtype(options.dtype);
  if (channels_last(*model)) result.name += "[channels-last]";
  if (attention_path() != AttentionPath::reference) {
    result.name += fmt::format("[attention={}]", attention_path_name(attention_path()));
  }
  const auto file =
      io::load_torch_file((std::filesystem::path(dir) / ("forward_" + case_name + ".pt")).string());
  const auto input = [&](const torch::Tensor& t) { return t.defined() ? t.to(options.device) : t; };
  torch::InferenceMode inference;
  const auto text = model->encode_text(input(file.at("tokens").as_tensor()),
                                       input(optional_tensor(file, "mask")));
  const Conditioning cond{input(optional_tensor(file, "low_res")),
                          input(optional_tensor(file, "inpaint_image")),
                          input(optional_tensor(file, "inpaint_mask"))};
  // Through bind_network, as sampling calls the model: on CUDA the first call captures a graph
  // (here with a zero input) and the second replays it on the golden input.
  const NetworkFn network = bind_network(model, text, cond);
  const auto x = input(file.at("x").as_tensor()), t = input(file.at("t").as_tensor());
  network(at::zeros_like(x), t);
  const auto out = network(x, t);
  const auto& expected = file.at("out").as_tensor();
  const double out_error = max_abs_error(out.cpu(), expected);
  const double proj_error = max_abs_error(text.xf_proj.cpu(), file.at("xf_proj").as_tensor());
  const double xf_error = max_abs_error(text.xf_out.cpu(), file.at("xf_out").as_tensor());
  result.max_error = std::max({out_error, proj_error, xf_error});
  double bound = kTolerance;
  if (reduced) {
    bound = reduced_precision_bound(options.dtype, expected.abs().max().item<double>());
    result.max_error = out_error;  // the text encoder's outputs are intermediate here
  }
  result.passed = result.max_error <= bound;
  result.detail = fmt::format("out {:.2e}, xf_proj {:.2e}, xf_out {:.2e} (bound {:.1e})", out_error,
                              proj_error, xf_error, bound);
  return result;
}

}  // namespace

std::vector<CaseResult> run_forward_cases(const std::string& dir, const RunOptions& options) {
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
      results.push_back(run_forward_case(dir, name, options));
    } catch (const std::exception& e) {
      results.push_back(
          {"forward_" + name, std::numeric_limits<double>::infinity(), false, e.what()});
    }
  }
  return results;
}

}  // namespace glide::parity
