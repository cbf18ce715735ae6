#include "models/attention.hpp"

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <torch/version.h>

#include <cmath>
#include <string>

#include "glide/error.hpp"
#include "glide/models/attention_path.hpp"
#include "glide/runtime.hpp"
#include "models/unet_blocks.hpp"

namespace glide {
namespace {

AttentionPath read_attention_path() {
  const std::string name =
      env_choice("GLIDE_ATTENTION", {"reference", "token-major", "fused"}, "reference");
  if (name == "token-major") return AttentionPath::token_major;
  if (name == "fused") {
#if TORCH_VERSION_MAJOR < 2
    throw Error(Status::invalid_argument,
                fmt::format("GLIDE_ATTENTION=fused needs LibTorch 2 or newer (fused "
                            "scaled-dot-product attention); this build has LibTorch {}; "
                            "GLIDE_ATTENTION=token-major runs the same layout unfused",
                            TORCH_VERSION));
#endif
    return AttentionPath::fused;
  }
  return AttentionPath::reference;
}

}  // namespace

AttentionPath attention_path() {
  static const AttentionPath path = read_attention_path();
  return path;
}

const char* attention_path_name(AttentionPath path) {
  switch (path) {
    case AttentionPath::reference: return "reference";
    case AttentionPath::token_major: return "token-major";
    case AttentionPath::fused: return "fused";
  }
  return "unknown";
}

namespace models {
namespace {

// A 1x1 convolution's (out, in, 1) weight as the (in, out) matrix that multiplies rows.
torch::Tensor as_row_matrix(const torch::Tensor& conv1x1_weight) {
  return conv1x1_weight.reshape({conv1x1_weight.size(0), conv1x1_weight.size(1)}).t();
}

// softmax(q k^T / sqrt(ch)) over the last dimension for q (..., T, ch) and k (..., S + T, ch),
// any strides: (..., T, S + T), the attention weights of both layouts. As the reference does, q
// and k are each scaled by ch^-1/4 rather than their product by ch^-1/2, so that float16 logits
// stay in range.
torch::Tensor attention_weights(const torch::Tensor& q, const torch::Tensor& k) {
  const double scale = 1.0 / std::sqrt(std::sqrt(static_cast<double>(q.size(-1))));
  // The reference takes the softmax in float32 and rounds it to the activations' dtype.
  // LibTorch's float16/bfloat16 softmax computes in float32 and rounds once, which is the same
  // (bit for bit for bfloat16 on the CPU, LibTorch 1.13, over 75M random logits) without two
  // float32 copies of the weights, the step's largest tensors (0.9 GB each for the base model's
  // 32x32 attention at batch 16).
  return at::softmax(at::matmul(q * scale, (k * scale).transpose(-1, -2)), -1);
}

torch::Tensor attend_fused_heads(const torch::Tensor& q, const torch::Tensor& k,
                                 const torch::Tensor& v) {
#if TORCH_VERSION_MAJOR >= 2
  // Its default scale, 1/sqrt(ch), is ch^-1/4 on q and on k.
  return at::scaled_dot_product_attention(q, k, v);
#else
  (void)q, (void)k, (void)v;
  throw Error(Status::invalid_argument,
              fmt::format("fused attention needs LibTorch 2 or newer; this build has LibTorch {}",
                          TORCH_VERSION));
#endif
}

}  // namespace

torch::Tensor attention_channels_first(const torch::Tensor& x, const torch::Tensor& normed,
                                       const torch::Tensor& encoder_out,
                                       const AttentionWeights& w) {
  const int64_t batch = x.size(0), channels = x.size(1), length = x.size(2) * x.size(3);
  const int64_t ch = channels / w.heads;
  const auto qkv = at::conv1d(normed.reshape({batch, channels, length}), w.qkv_weight, w.qkv_bias)
                       .reshape({batch * w.heads, 3 * ch, length});
  const auto ekv =
      at::conv1d(encoder_out.to(x.scalar_type()), w.encoder_kv_weight, w.encoder_kv_bias)
          .reshape({batch * w.heads, 2 * ch, -1});
  // The text tokens' keys and values come first.
  const auto q = qkv.narrow(1, 0, ch);
  const auto k = at::cat({ekv.narrow(1, 0, ch), qkv.narrow(1, ch, ch)}, -1);
  const auto v = at::cat({ekv.narrow(1, ch, ch), qkv.narrow(1, 2 * ch, ch)}, -1);
  const auto weight = attention_weights(q.transpose(1, 2), k.transpose(1, 2));  // (B*heads, T, S+T)
  const auto attended = at::bmm(v, weight.transpose(1, 2));                     // (B*heads, ch, T)
  const auto h =
      at::conv1d(attended.reshape({batch, channels, length}), w.proj_weight, w.proj_bias);
  return x + h.reshape(x.sizes());
}

torch::Tensor attention_token_major(const torch::Tensor& x, const torch::Tensor& normed,
                                    const torch::Tensor& encoder_out, const AttentionWeights& w,
                                    bool fused) {
  const int64_t batch = x.size(0), channels = x.size(1), height = x.size(2), width = x.size(3);
  const int64_t length = height * width, ch = channels / w.heads;
  const int64_t tokens = encoder_out.size(2), encoder_channels = encoder_out.size(1);
  // (B*T, C) and (B*S, E): views where the memory is already token-major.
  const auto pixels = normed.permute({0, 2, 3, 1}).reshape({batch * length, channels});
  const auto text =
      encoder_out.to(x.scalar_type()).transpose(1, 2).reshape({batch * tokens, encoder_channels});
  const auto qkv = at::addmm(w.qkv_bias, pixels, as_row_matrix(w.qkv_weight))
                       .view({batch, length, w.heads, 3, ch});
  const auto ekv = at::addmm(w.encoder_kv_bias, text, as_row_matrix(w.encoder_kv_weight))
                       .view({batch, tokens, w.heads, 2, ch});
  // Keys and values of the text tokens, then of the positions: (B, S + T, heads, 2, ch).
  const auto kv = at::cat({ekv, qkv.narrow(3, 1, 2)}, 1);
  const auto q = qkv.select(3, 0).transpose(1, 2);  // (B, heads, T, ch)
  const auto k = kv.select(3, 0).transpose(1, 2);   // (B, heads, S + T, ch)
  const auto v = kv.select(3, 1).transpose(1, 2);
  const auto attended =
      fused ? attend_fused_heads(q, k, v) : at::matmul(attention_weights(q, k), v);
  // Back to rows (a view where the attention wrote (B, T, heads, ch), as the flash kernels do).
  const auto rows = attended.transpose(1, 2).reshape({batch * length, channels});
  const auto unbiased = at::mm(rows, as_row_matrix(w.proj_weight));
  // (B, C, H, W) over channels-last memory.
  const auto h = unbiased.view({batch, height, width, channels}).permute({0, 3, 1, 2});
  return add_bias_and_residual(h, x, w.proj_bias);
}

torch::Tensor tokens_for_attention(const torch::Tensor& encoder_out) {
  if (!encoder_out.defined() || attention_path() == AttentionPath::reference) return encoder_out;
  return encoder_out.transpose(1, 2).contiguous().transpose(1, 2);
}

}  // namespace models
}  // namespace glide
