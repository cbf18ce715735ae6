#include "models/layer_init.hpp"

#include <ATen/ATen.h>
#include <torch/utils.h>

#include <vector>

namespace glide::models {
namespace {

thread_local bool skip_weight_init = false;

// A convolution built at 1 input and 1 output channel, then given `full`'s size: the options
// and the shapes of weight (out, in / groups, kernel...) and bias (out), values uninitialized.
template <typename Conv, typename Options>
Conv conv_without_init(const Options& full) {
  Options tiny = full;
  tiny.in_channels(1).out_channels(1).groups(1);
  Conv conv(tiny);
  conv->options.in_channels(full.in_channels())
      .out_channels(full.out_channels())
      .groups(full.groups());
  std::vector<int64_t> shape{full.out_channels(), full.in_channels() / full.groups()};
  for (int64_t k : *full.kernel_size()) shape.push_back(k);
  torch::NoGradGuard no_grad;
  conv->weight.set_data(at::empty(shape));
  if (full.bias()) conv->bias.set_data(at::empty({full.out_channels()}));
  return conv;
}

}  // namespace

SkipWeightInit::SkipWeightInit() : previous_(skip_weight_init) {
  skip_weight_init = true;
}

SkipWeightInit::~SkipWeightInit() {
  skip_weight_init = previous_;
}

bool weight_init_skipped() {
  return skip_weight_init;
}

torch::nn::Conv2d make_conv2d(const torch::nn::Conv2dOptions& options) {
  if (!skip_weight_init) return torch::nn::Conv2d(options);
  return conv_without_init<torch::nn::Conv2d>(options);
}

torch::nn::Conv1d make_conv1d(const torch::nn::Conv1dOptions& options) {
  if (!skip_weight_init) return torch::nn::Conv1d(options);
  return conv_without_init<torch::nn::Conv1d>(options);
}

torch::nn::Linear make_linear(int64_t in_features, int64_t out_features) {
  if (!skip_weight_init) return torch::nn::Linear(in_features, out_features);
  torch::nn::Linear linear(1, 1);
  linear->options = torch::nn::LinearOptions(in_features, out_features);
  torch::NoGradGuard no_grad;
  linear->weight.set_data(at::empty({out_features, in_features}));
  linear->bias.set_data(at::empty({out_features}));
  return linear;
}

}  // namespace glide::models
