#include "models/unet_blocks.hpp"

#include <ATen/ATen.h>
#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/dropout.h>
#include <torch/nn/modules/linear.h>

#include <string>

#include "glide/models/attention_path.hpp"
#include "glide/runtime.hpp"
#include "models/attention.hpp"
#include "models/layer_init.hpp"

#ifdef GLIDE_WITH_CUDA_KERNELS
#include <ATen/core/grad_mode.h>

#include "cuda/kernels/bias_residual.hpp"
#include "cuda/kernels/concat.hpp"
#include "cuda/kernels/fused_group_norm.hpp"
#include "cuda/kernels/resample.hpp"
#endif

namespace glide::models {
namespace {

namespace nn = torch::nn;

constexpr int64_t kConv3x3Padding = 1;  // keeps the size at stride 1

nn::Conv2d conv3x3(int64_t in, int64_t out, int64_t stride = 1) {
  return make_conv2d(nn::Conv2dOptions(in, out, 3).stride(stride).padding(kConv3x3Padding));
}

nn::Conv1d conv1x1(int64_t in, int64_t out) {
  return make_conv1d(nn::Conv1dOptions(in, out, 1));
}

nn::GroupNorm group_norm(int64_t channels) {
  return nn::GroupNorm(nn::GroupNormOptions(32, channels).eps(1e-5));
}

// Output layers start at zero so every block starts as the identity (improved DDPM's init).
template <typename M>
M zeroed(M module) {
  torch::NoGradGuard no_grad;
  for (auto& p : module->parameters()) p.zero_();
  return module;
}

}  // namespace

torch::Tensor group_norm32(const torch::Tensor& x, const nn::GroupNorm& norm) {
  const auto& o = norm->options;
  return at::group_norm(x.to(at::kFloat), o.num_groups(), norm->weight, norm->bias, o.eps())
      .to(x.scalar_type());
}

bool fused_norm_enabled() {
#ifdef GLIDE_WITH_CUDA_KERNELS
  static const bool on = env_switch("GLIDE_FUSED_NORM", true);
  return on;
#else
  return false;
#endif
}

namespace {

// Whether glide's CUDA kernels may run on x: built with them, autograd off (they have no
// backward) and x on CUDA.
bool kernels_may_run(const torch::Tensor& x) {
#ifdef GLIDE_WITH_CUDA_KERNELS
  return !at::GradMode::is_enabled() && x.is_cuda();
#else
  (void)x;
  return false;
#endif
}

// Whether a ResBlock ends with glide's bias + residual kernel: where kernels_may_run, unless
// GLIDE_FUSED_RESIDUAL=0.
bool residual_is_fused(const torch::Tensor& x) {
  static const bool on = env_switch("GLIDE_FUSED_RESIDUAL", true);
  return on && kernels_may_run(x);
}

// conv(x) without its bias, for a kernel that adds the bias as it reads the output; conv is one
// conv3x3 made.
torch::Tensor conv3x3_without_bias(const nn::Conv2d& conv, const torch::Tensor& x) {
  return at::conv2d(x, conv->weight, /*bias=*/{}, *conv->options.stride(), kConv3x3Padding);
}

// skip + out_conv(h) where out_conv's bias is added in the residual pass where the kernel runs.
torch::Tensor conv_plus_residual(nn::Conv2d conv, const torch::Tensor& h,
                                 const torch::Tensor& skip) {
  if (!residual_is_fused(h)) return skip + conv->forward(h);
  return add_bias_and_residual(conv3x3_without_bias(conv, h), skip, conv->bias);
}

#ifdef GLIDE_WITH_CUDA_KERNELS
// Whether the UNets' resampling and skip concatenation run on glide's kernels: where
// kernels_may_run, unless GLIDE_COPY_KERNELS=0.
bool copy_kernels_enabled(const torch::Tensor& x) {
  static const bool on = env_switch("GLIDE_COPY_KERNELS", true);
  return on && kernels_may_run(x);
}
#endif

// Nearest-neighbour upsampling by 2 and 2x2 average pooling, the UNets' resamplings: glide's
// kernels for channels-last CUDA tensors (LibTorch's ran at a tenth of the memory's bandwidth
// there), LibTorch's elsewhere, with the same results.
torch::Tensor upsample_nearest_2x(const torch::Tensor& x) {
#ifdef GLIDE_WITH_CUDA_KERNELS
  if (copy_kernels_enabled(x) && cuda::upsample_nearest_2x_takes(x)) {
    return cuda::upsample_nearest_2x(x);
  }
#endif
  return at::upsample_nearest2d(x, {x.size(2) * 2, x.size(3) * 2});
}

torch::Tensor average_pool_2x(const torch::Tensor& x) {
#ifdef GLIDE_WITH_CUDA_KERNELS
  if (copy_kernels_enabled(x) && cuda::average_pool_2x_takes(x)) {
    return cuda::average_pool_2x(x);
  }
#endif
  return at::avg_pool2d(x, {2, 2}, {2, 2});
}

}  // namespace

torch::Tensor concat_channels(const torch::Tensor& a, const torch::Tensor& b) {
#ifdef GLIDE_WITH_CUDA_KERNELS
  if (copy_kernels_enabled(a) && cuda::concat_channels_takes(a, b)) {
    return cuda::concat_channels(a, b);
  }
#endif
  return at::cat({a, b}, 1);
}

torch::Tensor add_bias_and_residual(const torch::Tensor& unbiased, const torch::Tensor& skip,
                                    const torch::Tensor& bias) {
#ifdef GLIDE_WITH_CUDA_KERNELS
  if (residual_is_fused(unbiased) && cuda::bias_residual_takes(unbiased, skip)) {
    return cuda::add_bias_residual(unbiased, skip, bias);
  }
#endif
  return skip + (unbiased + bias.reshape({1, -1, 1, 1}));
}

bool norm_is_fused(const torch::Tensor& x) {
#ifdef GLIDE_WITH_CUDA_KERNELS
  return fused_norm_enabled() && kernels_may_run(x) && cuda::fused_group_norm_takes(x);
#else
  (void)x;
  return false;
#endif
}

torch::Tensor norm_act(const torch::Tensor& x, const nn::GroupNorm& norm, Activation act,
                       const torch::Tensor& scale, const torch::Tensor& shift,
                       const torch::Tensor& input_bias) {
#ifdef GLIDE_WITH_CUDA_KERNELS
  if (norm_is_fused(x)) {
    const auto& o = norm->options;
    return cuda::fused_group_norm(x, o.num_groups(), norm->weight, norm->bias, o.eps(), scale,
                                  shift, act == Activation::silu, input_bias);
  }
#endif
  return norm_act_unfused(x, norm, act, scale, shift, input_bias);
}

torch::Tensor norm_act_unfused(const torch::Tensor& x, const nn::GroupNorm& norm, Activation act,
                               const torch::Tensor& scale, const torch::Tensor& shift,
                               const torch::Tensor& input_bias) {
  auto h = group_norm32(input_bias.defined() ? x + input_bias.reshape({1, -1, 1, 1}) : x, norm);
  if (scale.defined()) h = h * (1 + scale) + shift;
  return act == Activation::silu ? at::silu(h) : h;
}

ConvLayerImpl::ConvLayerImpl(int64_t in_channels, int64_t out_channels, int64_t stride)
    : stride_(stride) {
  auto init = conv3x3(in_channels, out_channels, stride);
  weight_ = register_parameter("weight", init->weight.detach().clone());
  bias_ = register_parameter("bias", init->bias.detach().clone());
}

torch::Tensor ConvLayerImpl::forward(const torch::Tensor& x) {
  return at::conv2d(x, weight_, bias_, {stride_, stride_}, {1, 1});
}

torch::Tensor ConvLayerImpl::run(const torch::Tensor& x, const torch::Tensor&,
                                 const torch::Tensor&) {
  return forward(x);
}

UpsampleImpl::UpsampleImpl(int64_t channels, bool use_conv) {
  if (use_conv) conv_ = register_module("conv", conv3x3(channels, channels));
}

torch::Tensor UpsampleImpl::run(const torch::Tensor& x, const torch::Tensor&,
                                const torch::Tensor&) {
  auto h = upsample_nearest_2x(x);
  return conv_ ? conv_->forward(h) : h;
}

DownsampleImpl::DownsampleImpl(int64_t channels, bool use_conv) {
  if (use_conv) op_ = register_module("op", conv3x3(channels, channels, /*stride=*/2));
}

torch::Tensor DownsampleImpl::run(const torch::Tensor& x, const torch::Tensor&,
                                  const torch::Tensor&) {
  return op_ ? op_->forward(x) : average_pool_2x(x);
}

ResBlockImpl::ResBlockImpl(int64_t channels, int64_t emb_channels, double dropout,
                           int64_t out_channels, bool use_scale_shift_norm, Resample resample)
    : dropout_(dropout), use_scale_shift_norm_(use_scale_shift_norm), resample_(resample) {
  in_norm_ = group_norm(channels);
  in_conv_ = conv3x3(channels, out_channels);
  register_module("in_layers", nn::Sequential(in_norm_, nn::Identity(), in_conv_));

  emb_linear_ = make_linear(emb_channels, use_scale_shift_norm ? 2 * out_channels : out_channels);
  register_module("emb_layers", nn::Sequential(nn::SiLU(), emb_linear_));

  out_norm_ = group_norm(out_channels);
  out_conv_ = zeroed(conv3x3(out_channels, out_channels));
  register_module("out_layers",
                  nn::Sequential(out_norm_, nn::Identity(), nn::Dropout(dropout), out_conv_));
  if (out_channels != channels) {
    skip_conv_ = register_module("skip_connection",
                                 make_conv2d(nn::Conv2dOptions(channels, out_channels, 1)));
  }
}

torch::Tensor ResBlockImpl::resample(const torch::Tensor& x) const {
  switch (resample_) {
    case Resample::up: return upsample_nearest_2x(x);
    case Resample::down: return average_pool_2x(x);
    case Resample::none: break;
  }
  return x;
}

torch::Tensor ResBlockImpl::run(const torch::Tensor& x_in, const torch::Tensor& emb_act,
                                const torch::Tensor&) {
  // With up/down sampling, both paths are resampled after the first norm + activation.
  const auto activated = resample(norm_act(x_in, in_norm_, Activation::silu));
  const auto x = resample(x_in);

  auto emb_out =
      emb_linear_->forward(emb_act).to(activated.scalar_type()).unsqueeze(-1).unsqueeze(-1);
  torch::Tensor h;
  if (use_scale_shift_norm_) {
    // A fused norm adds in_conv's bias as it reads the convolution's output; LibTorch's cuDNN path
    // would add it in a pass of its own (docs/performance.md).
    const bool fold_bias = norm_is_fused(activated);
    h = fold_bias ? conv3x3_without_bias(in_conv_, activated) : in_conv_->forward(activated);
    const auto scale_shift = emb_out.chunk(2, 1);
    h = norm_act(h, out_norm_, Activation::silu, scale_shift[0], scale_shift[1],
                 fold_bias ? in_conv_->bias : torch::Tensor());
  } else {
    h = norm_act(in_conv_->forward(activated) + emb_out, out_norm_, Activation::silu);
  }
  if (is_training() && dropout_ > 0) h = at::dropout(h, dropout_, /*train=*/true);
  return conv_plus_residual(out_conv_, h, skip_conv_ ? skip_conv_->forward(x) : x);
}

AttentionBlockImpl::AttentionBlockImpl(int64_t channels, int64_t num_heads,
                                       int64_t encoder_channels)
    : num_heads_(num_heads) {
  norm_ = register_module("norm", group_norm(channels));
  qkv_ = register_module("qkv", conv1x1(channels, channels * 3));
  encoder_kv_ = register_module("encoder_kv", conv1x1(encoder_channels, channels * 2));
  proj_out_ = register_module("proj_out", zeroed(conv1x1(channels, channels)));
}

torch::Tensor AttentionBlockImpl::run(const torch::Tensor& x, const torch::Tensor&,
                                      const torch::Tensor& encoder_out) {
  const AttentionWeights weights{qkv_->weight,      qkv_->bias,        encoder_kv_->weight,
                                 encoder_kv_->bias, proj_out_->weight, proj_out_->bias,
                                 num_heads_};
  const auto normed = norm_act(x, norm_, Activation::none);
  const AttentionPath path = attention_path();
  if (path == AttentionPath::reference) {
    return attention_channels_first(x, normed, encoder_out, weights);
  }
  return attention_token_major(x, normed, encoder_out, weights, path == AttentionPath::fused);
}

void TimestepEmbedSequentialImpl::append(std::shared_ptr<UNetLayerImpl> layer) {
  register_module(std::to_string(layers_.size()), layer);
  layers_.push_back(std::move(layer));
}

torch::Tensor TimestepEmbedSequentialImpl::forward(torch::Tensor x, const torch::Tensor& emb_act,
                                                   const torch::Tensor& encoder_out) {
  for (auto& layer : layers_) x = layer->run(x, emb_act, encoder_out);
  return x;
}

}  // namespace glide::models
