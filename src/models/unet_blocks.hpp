#pragma once

// The UNet's building blocks. Registered names equal the reference's attribute names so that
// named_parameters() yields the official state-dict keys.

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>

#include <vector>

namespace glide::models {

// GroupNorm with 32 groups computed in float32 whatever the activations' dtype, as GLIDE does.
torch::Tensor group_norm32(const torch::Tensor& x, const torch::nn::GroupNorm& norm);

// Whether norm_act uses glide's fused CUDA kernel: when the library was built with its CUDA
// kernels, unless GLIDE_FUSED_NORM=0 (H200, 2026-11-27: base step 8.0 -> 6.4 ms, upsampler
// 18.9 -> 9.9 ms at batch 1; docs/performance.md).
bool fused_norm_enabled();

// Whether norm_act(x, ...) runs the fused kernel: fused_norm_enabled(), autograd off, and x a
// tensor the kernel takes (4-D, on CUDA).
bool norm_is_fused(const torch::Tensor& x);

enum class Activation { none, silu };
// act(group_norm32(x + input_bias) * (1 + scale) + shift), scale and shift (N, C, 1, 1) both
// given or both not, input_bias (C) or not: every norm of the UNet with what follows it.
// Computed as that composition of LibTorch ops (norm_act_unfused), except where
// norm_is_fused(x): one fused kernel (src/cuda/fused_group_norm.hpp) that reads x twice and
// writes once, rounding once, and adds input_bias as it reads.
torch::Tensor norm_act(const torch::Tensor& x, const torch::nn::GroupNorm& norm, Activation act,
                       const torch::Tensor& scale = {}, const torch::Tensor& shift = {},
                       const torch::Tensor& input_bias = {});
torch::Tensor norm_act_unfused(const torch::Tensor& x, const torch::nn::GroupNorm& norm,
                               Activation act, const torch::Tensor& scale = {},
                               const torch::Tensor& shift = {},
                               const torch::Tensor& input_bias = {});

// skip + (unbiased + bias), bias (C) broadcast over unbiased (N, C, H, W): the end of a residual
// branch whose last layer left its bias out. On CUDA one pass of glide's kernel
// (cuda/kernels/bias_residual.hpp) where it takes the tensors, unless GLIDE_FUSED_RESIDUAL=0;
// LibTorch's two adds otherwise.
torch::Tensor add_bias_and_residual(const torch::Tensor& unbiased, const torch::Tensor& skip,
                                    const torch::Tensor& bias);

// at::cat({a, b}, 1): a decoder block's input, its predecessor's output and the encoder's skip. On
// CUDA one pass of glide's kernel (cuda/kernels/concat.hpp) for channels-last tensors, unless
// GLIDE_COPY_KERNELS=0.
torch::Tensor concat_channels(const torch::Tensor& a, const torch::Tensor& b);

// A layer of a TimestepEmbedSequential: each kind takes what it needs of (x, emb_act, text).
// emb_act is SiLU(emb) for the timestep + text embedding emb: every ResBlock's emb_layers starts
// with that SiLU, so the UNet applies it once per evaluation rather than once per block.
class UNetLayerImpl : public torch::nn::Module {
 public:
  virtual torch::Tensor run(const torch::Tensor& x, const torch::Tensor& emb_act,
                            const torch::Tensor& encoder_out) = 0;
};

// A bare 3x3 convolution whose weight and bias sit directly under the layer's name.
class ConvLayerImpl : public UNetLayerImpl {
 public:
  ConvLayerImpl(int64_t in_channels, int64_t out_channels, int64_t stride = 1);
  torch::Tensor run(const torch::Tensor& x, const torch::Tensor&, const torch::Tensor&) override;
  torch::Tensor forward(const torch::Tensor& x);

 private:
  torch::Tensor weight_, bias_;
  int64_t stride_;
};

// Nearest-neighbour 2x upsampling, optionally followed by a 3x3 convolution (`conv`).
class UpsampleImpl : public UNetLayerImpl {
 public:
  UpsampleImpl(int64_t channels, bool use_conv);
  torch::Tensor run(const torch::Tensor& x, const torch::Tensor&, const torch::Tensor&) override;

 private:
  torch::nn::Conv2d conv_{nullptr};
};

// 2x downsampling by a strided 3x3 convolution (`op`) or 2x2 average pooling.
class DownsampleImpl : public UNetLayerImpl {
 public:
  DownsampleImpl(int64_t channels, bool use_conv);
  torch::Tensor run(const torch::Tensor& x, const torch::Tensor&, const torch::Tensor&) override;

 private:
  torch::nn::Conv2d op_{nullptr};
};

enum class Resample { none, up, down };

// Residual block conditioned on the timestep (+ text) embedding; with use_scale_shift_norm the
// embedding scales and shifts the normalized activations (FiLM), as in improved DDPM.
class ResBlockImpl : public UNetLayerImpl {
 public:
  ResBlockImpl(int64_t channels, int64_t emb_channels, double dropout, int64_t out_channels,
               bool use_scale_shift_norm, Resample resample);
  torch::Tensor run(const torch::Tensor& x, const torch::Tensor& emb_act,
                    const torch::Tensor&) override;

 private:
  torch::Tensor resample(const torch::Tensor& x) const;

  torch::nn::GroupNorm in_norm_{nullptr}, out_norm_{nullptr};
  torch::nn::Conv2d in_conv_{nullptr}, out_conv_{nullptr}, skip_conv_{nullptr};
  torch::nn::Linear emb_linear_{nullptr};
  double dropout_;
  bool use_scale_shift_norm_;
  Resample resample_;
};

// Self-attention over the pixels that also attends to the text encoder's tokens (their keys and
// values are prepended to the pixels' own), computed by the path attention_path() names
// (models/attention.hpp).
class AttentionBlockImpl : public UNetLayerImpl {
 public:
  AttentionBlockImpl(int64_t channels, int64_t num_heads, int64_t encoder_channels);
  torch::Tensor run(const torch::Tensor& x, const torch::Tensor&,
                    const torch::Tensor& encoder_out) override;

 private:
  torch::nn::GroupNorm norm_{nullptr};
  torch::nn::Conv1d qkv_{nullptr}, encoder_kv_{nullptr}, proj_out_{nullptr};
  int64_t num_heads_;
};

// Children named "0", "1", ... run in order, each given what it needs.
class TimestepEmbedSequentialImpl : public torch::nn::Module {
 public:
  void append(std::shared_ptr<UNetLayerImpl> layer);
  torch::Tensor forward(torch::Tensor x, const torch::Tensor& emb_act,
                        const torch::Tensor& encoder_out);

 private:
  std::vector<std::shared_ptr<UNetLayerImpl>> layers_;
};
TORCH_MODULE(TimestepEmbedSequential);

}  // namespace glide::models
