#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <memory>
#include <vector>

#include "glide/models/config.hpp"

namespace glide {

// The text encoder's outputs; computed once per prompt batch and reused at every step.
struct TextEmbedding {
  torch::Tensor xf_proj;  // (B, 4 * num_channels), added to the timestep embedding
  torch::Tensor xf_out;   // (B, xf_width, text_ctx), attended to by every attention block
};

// What the variants need besides x_t: the super-resolution models' low-resolution image and the
// inpainting models' known image and mask (1 = keep). Undefined tensors mean "not given".
struct Conditioning {
  torch::Tensor low_res;        // (B, 3, h, w) in [-1, 1], upsampled bilinearly inside
  torch::Tensor inpaint_image;  // (B, 3, H, W) in [-1, 1]
  torch::Tensor inpaint_mask;   // (B, 1, H, W)
};

namespace models {
class TimestepEmbedSequentialImpl;
class TextTransformerImpl;
}  // namespace models

// GLIDE's text-conditional UNet with its text transformer, in all four variants (base,
// super-resolution, inpainting, super-resolution inpainting: chosen by config.super_res and
// config.inpaint). Parameter names and order equal the official checkpoints' state dicts.
class Text2ImUNetImpl : public torch::nn::Module {
 public:
  explicit Text2ImUNetImpl(ModelConfig config);

  const ModelConfig& config() const { return config_; }

  // tokens: int64 (B, text_ctx); mask: bool (B, text_ctx), true on real tokens (needed when
  // config.xf_padding). Run once per prompt batch: the result serves every denoising step.
  TextEmbedding encode_text(const torch::Tensor& tokens, const torch::Tensor& mask);

  // x: (B, 3, H, W); timesteps: (B) original-process timesteps. Returns (B, 6, H, W): eps and the
  // variance interpolation values, in x's dtype.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& timesteps,
                        const TextEmbedding& text, const Conditioning& cond = {});

  // Weights and activations in float32, float16 or bfloat16; normalization stays float32.
  // Narrowing float32 weights rounds them. With Float32Weights::keep a float32 copy of them stays
  // in host memory, so that any later dtype is made from the exact weights (a per-call dtype of a
  // pipeline); with drop (no extra memory) a later change of dtype would compute with rounded
  // weights, and throws glide::Error(invalid_argument) instead.
  enum class Float32Weights { drop, keep };
  void set_compute_dtype(torch::Dtype dtype, Float32Weights narrowed = Float32Weights::drop);
  torch::Dtype compute_dtype() const { return dtype_; }

 private:
  torch::Tensor assemble_input(const torch::Tensor& x, const Conditioning& cond) const;
  void check_inputs(const torch::Tensor& x, const torch::Tensor& timesteps,
                    const TextEmbedding& text) const;

  ModelConfig config_;
  torch::Dtype dtype_ = torch::kFloat32;
  std::vector<torch::Tensor> float32_weights_;  // kept by a narrowing with Float32Weights::keep
  torch::Tensor positional_embedding_, padding_embedding_;
  torch::nn::Sequential time_embed_{nullptr};
  std::vector<std::shared_ptr<models::TimestepEmbedSequentialImpl>> input_blocks_, output_blocks_;
  std::shared_ptr<models::TimestepEmbedSequentialImpl> middle_block_;
  torch::nn::GroupNorm out_norm_{nullptr};
  torch::nn::Conv2d out_conv_{nullptr};
  std::shared_ptr<models::TextTransformerImpl> transformer_;
  torch::nn::LayerNorm final_ln_{nullptr};
  torch::nn::Embedding token_embedding_{nullptr};
  torch::nn::Linear transformer_proj_{nullptr};
};
TORCH_MODULE(Text2ImUNet);

// Sinusoidal timestep embedding (Transformer positional encoding, as in DDPM): [cos, sin] of
// t * 10000^(-i/half) for i < half, computed in float32.
torch::Tensor timestep_embedding(const torch::Tensor& timesteps, int64_t dim);

}  // namespace glide
