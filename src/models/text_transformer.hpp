#pragma once

// GLIDE's text encoder body: a CLIP-style pre-LayerNorm transformer without a causal mask.

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>

namespace glide::models {

// LayerNorm computed in float32 whatever the activations' dtype, as GLIDE does.
torch::Tensor layer_norm32(const torch::Tensor& x, const torch::nn::LayerNorm& norm);

class ResidualAttentionBlockImpl : public torch::nn::Module {
 public:
  ResidualAttentionBlockImpl(int64_t width, int64_t heads);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  torch::Tensor attention(const torch::Tensor& x);

  torch::nn::Linear c_qkv_{nullptr}, attn_proj_{nullptr}, c_fc_{nullptr}, mlp_proj_{nullptr};
  torch::nn::LayerNorm ln_1_{nullptr}, ln_2_{nullptr};
  int64_t heads_;
};
TORCH_MODULE(ResidualAttentionBlock);

class TextTransformerImpl : public torch::nn::Module {
 public:
  TextTransformerImpl(int64_t width, int64_t layers, int64_t heads);
  torch::Tensor forward(torch::Tensor x);

 private:
  std::vector<ResidualAttentionBlock> blocks_;
};
TORCH_MODULE(TextTransformer);

}  // namespace glide::models
