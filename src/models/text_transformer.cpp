#include "models/text_transformer.hpp"

#include <ATen/ATen.h>
#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/container/sequential.h>

#include <cmath>

#include "models/layer_init.hpp"

namespace glide::models {

namespace nn = torch::nn;

torch::Tensor layer_norm32(const torch::Tensor& x, const nn::LayerNorm& norm) {
  return at::layer_norm(x.to(at::kFloat), norm->options.normalized_shape(), norm->weight,
                        norm->bias, norm->options.eps())
      .to(x.scalar_type());
}

namespace {

// The attention and MLP sub-modules only name parameters; forward lives in the block.
struct AttentionParamsImpl : nn::Module {
  AttentionParamsImpl(nn::Linear qkv, nn::Linear proj) {
    register_module("c_qkv", std::move(qkv));
    register_module("c_proj", std::move(proj));
  }
};
struct MlpParamsImpl : nn::Module {
  MlpParamsImpl(nn::Linear fc, nn::Linear proj) {
    register_module("c_fc", std::move(fc));
    register_module("c_proj", std::move(proj));
  }
};

nn::LayerNorm layer_norm(int64_t width) {
  return nn::LayerNorm(nn::LayerNormOptions({width}).eps(1e-5));
}

}  // namespace

ResidualAttentionBlockImpl::ResidualAttentionBlockImpl(int64_t width, int64_t heads)
    : heads_(heads) {
  c_qkv_ = make_linear(width, width * 3);
  attn_proj_ = make_linear(width, width);
  c_fc_ = make_linear(width, width * 4);
  mlp_proj_ = make_linear(width * 4, width);
  register_module("attn", std::make_shared<AttentionParamsImpl>(c_qkv_, attn_proj_));
  ln_1_ = register_module("ln_1", layer_norm(width));
  register_module("mlp", std::make_shared<MlpParamsImpl>(c_fc_, mlp_proj_));
  ln_2_ = register_module("ln_2", layer_norm(width));
}

torch::Tensor ResidualAttentionBlockImpl::attention(const torch::Tensor& x) {
  const int64_t batch = x.size(0), ctx = x.size(1);
  // Per position and head the projection holds [q, k, v] side by side.
  const auto qkv = c_qkv_->forward(x).view({batch, ctx, heads_, -1});
  const int64_t head_channels = qkv.size(3) / 3;
  const double scale = 1.0 / std::sqrt(std::sqrt(static_cast<double>(head_channels)));
  const auto q = (qkv.narrow(3, 0, head_channels) * scale).permute({0, 2, 1, 3});
  const auto k = (qkv.narrow(3, head_channels, head_channels) * scale).permute({0, 2, 3, 1});
  const auto v = qkv.narrow(3, 2 * head_channels, head_channels).permute({0, 2, 1, 3});
  auto weight = at::matmul(q, k);  // (B, heads, T, S); no mask: padding has its own embedding
  weight = at::softmax(weight.to(at::kFloat), -1).to(weight.scalar_type());
  const auto out = at::matmul(weight, v).permute({0, 2, 1, 3}).reshape({batch, ctx, -1});
  return attn_proj_->forward(out);
}

torch::Tensor ResidualAttentionBlockImpl::forward(const torch::Tensor& x) {
  auto h = x + attention(layer_norm32(x, ln_1_));
  return h + mlp_proj_->forward(at::gelu(c_fc_->forward(layer_norm32(h, ln_2_))));
}

TextTransformerImpl::TextTransformerImpl(int64_t width, int64_t layers, int64_t heads) {
  nn::ModuleList list;
  for (int64_t i = 0; i < layers; ++i) {
    blocks_.emplace_back(width, heads);
    list->push_back(blocks_.back());
  }
  register_module("resblocks", list);
}

torch::Tensor TextTransformerImpl::forward(torch::Tensor x) {
  for (auto& block : blocks_) x = block->forward(x);
  return x;
}

}  // namespace glide::models
