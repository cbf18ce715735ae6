#pragma once

// Building a model only to load a checkpoint into it need not initialize its weights. LibTorch
// initializes every convolution and linear layer in its constructor with a uniform_ that runs
// serially on the CPU: 7.7 s of the full-size base model's construction on a 2-core VM, all of it
// overwritten by the checkpoint a moment later. Within a SkipWeightInit scope the factories below
// build each layer at size 1 (initialized at once) and then give it its real size with its
// weights left uninitialized; outside one they build LibTorch's layers as usual, drawing the same
// random numbers in the same order.
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>

namespace glide::models {

// Only for a model whose every parameter is written before use (load_model checks that the
// checkpoint has them all). Nests; restores the previous setting when it ends. Per thread.
class SkipWeightInit {
 public:
  SkipWeightInit();
  ~SkipWeightInit();
  SkipWeightInit(const SkipWeightInit&) = delete;
  SkipWeightInit& operator=(const SkipWeightInit&) = delete;

 private:
  bool previous_;
};

bool weight_init_skipped();

torch::nn::Conv2d make_conv2d(const torch::nn::Conv2dOptions& options);
torch::nn::Conv1d make_conv1d(const torch::nn::Conv1dOptions& options);
torch::nn::Linear make_linear(int64_t in_features, int64_t out_features);

}  // namespace glide::models
