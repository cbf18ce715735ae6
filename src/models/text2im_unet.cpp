#include "glide/models/text2im_unet.hpp"

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <torch/nn/modules/activation.h>

#include <algorithm>
#include <cmath>
#include <utility>

#include "glide/error.hpp"
#include "glide/io/checkpoint.hpp"
#include "glide/runtime.hpp"
#include "models/attention.hpp"
#include "models/layer_init.hpp"
#include "models/text_transformer.hpp"
#include "models/unet_blocks.hpp"

namespace glide {

namespace nn = torch::nn;
using models::AttentionBlockImpl;
using models::DownsampleImpl;
using models::Resample;
using models::ResBlockImpl;
using models::TimestepEmbedSequentialImpl;
using models::UpsampleImpl;

torch::Tensor timestep_embedding(const torch::Tensor& timesteps, int64_t dim) {
  const int64_t half = dim / 2;
  const auto freqs =
      at::exp(-std::log(10000.0) * at::arange(0, half, timesteps.options().dtype(at::kFloat)) /
              static_cast<double>(half));
  const auto args = timesteps.to(at::kFloat).unsqueeze(1) * freqs.unsqueeze(0);
  auto embedding = at::cat({at::cos(args), at::sin(args)}, -1);
  if (dim % 2) embedding = at::cat({embedding, at::zeros_like(embedding.narrow(1, 0, 1))}, -1);
  return embedding;
}

Text2ImUNetImpl::Text2ImUNetImpl(ModelConfig config) : config_(std::move(config)) {
  config_.validate();
  const auto& c = config_;
  const auto mults = config_.channel_multipliers();
  const auto attention_rates = config_.attention_downsample_rates();
  const auto attends_at = [&](int64_t ds) {
    return std::find(attention_rates.begin(), attention_rates.end(), ds) != attention_rates.end();
  };
  const auto heads_for = [&](int64_t channels, int64_t num_heads) {
    return c.num_head_channels == -1 ? num_heads : channels / c.num_head_channels;
  };
  const int64_t emb_dim = c.num_channels * 4;
  const int64_t heads_up = c.num_heads_upsample == -1 ? c.num_heads : c.num_heads_upsample;

  // Registration order reproduces the reference state dict: own parameters first, then the
  // UNet's modules, then the text encoder's.
  positional_embedding_ =
      register_parameter("positional_embedding", torch::randn({c.text_ctx, c.xf_width}) * 0.01);
  if (c.xf_padding) {
    padding_embedding_ =
        register_parameter("padding_embedding", torch::randn({c.text_ctx, c.xf_width}) * 0.01);
  }
  time_embed_ = register_module(
      "time_embed", nn::Sequential(models::make_linear(c.num_channels, emb_dim), nn::SiLU(),
                                   models::make_linear(emb_dim, emb_dim)));

  auto make_res = [&](int64_t in, int64_t out, Resample resample) {
    return std::make_shared<ResBlockImpl>(in, emb_dim, c.dropout, out, c.use_scale_shift_norm,
                                          resample);
  };
  auto make_block = [] { return std::make_shared<TimestepEmbedSequentialImpl>(); };

  nn::ModuleList input_list;
  int64_t ch = mults[0] * c.num_channels;
  const int64_t input_ch = ch;
  {
    auto block = make_block();
    block->append(std::make_shared<models::ConvLayerImpl>(c.in_channels(), ch));
    input_blocks_.push_back(block);
  }
  std::vector<int64_t> skip_channels{ch};
  int64_t ds = 1;
  for (size_t level = 0; level < mults.size(); ++level) {
    for (int64_t i = 0; i < c.num_res_blocks; ++i) {
      auto block = make_block();
      const int64_t out = mults[level] * c.num_channels;
      block->append(make_res(ch, out, Resample::none));
      ch = out;
      if (attends_at(ds)) {
        block->append(
            std::make_shared<AttentionBlockImpl>(ch, heads_for(ch, c.num_heads), c.xf_width));
      }
      input_blocks_.push_back(block);
      skip_channels.push_back(ch);
    }
    if (level + 1 != mults.size()) {
      auto block = make_block();
      if (c.resblock_updown) {
        block->append(make_res(ch, ch, Resample::down));
      } else {
        block->append(std::make_shared<DownsampleImpl>(ch, /*use_conv=*/true));
      }
      input_blocks_.push_back(block);
      skip_channels.push_back(ch);
      ds *= 2;
    }
  }
  for (auto& block : input_blocks_) input_list->push_back(block);
  register_module("input_blocks", input_list);

  middle_block_ = make_block();
  middle_block_->append(make_res(ch, ch, Resample::none));
  middle_block_->append(
      std::make_shared<AttentionBlockImpl>(ch, heads_for(ch, c.num_heads), c.xf_width));
  middle_block_->append(make_res(ch, ch, Resample::none));
  register_module("middle_block", middle_block_);

  nn::ModuleList output_list;
  for (size_t level = mults.size(); level-- > 0;) {
    for (int64_t i = 0; i <= c.num_res_blocks; ++i) {
      auto block = make_block();
      const int64_t skip = skip_channels.back();
      skip_channels.pop_back();
      const int64_t out = mults[level] * c.num_channels;
      block->append(make_res(ch + skip, out, Resample::none));
      ch = out;
      if (attends_at(ds)) {
        block->append(
            std::make_shared<AttentionBlockImpl>(ch, heads_for(ch, heads_up), c.xf_width));
      }
      if (level > 0 && i == c.num_res_blocks) {
        if (c.resblock_updown) {
          block->append(make_res(ch, ch, Resample::up));
        } else {
          block->append(std::make_shared<UpsampleImpl>(ch, /*use_conv=*/true));
        }
        ds /= 2;
      }
      output_blocks_.push_back(block);
      output_list->push_back(block);
    }
  }
  register_module("output_blocks", output_list);

  out_norm_ = nn::GroupNorm(nn::GroupNormOptions(32, ch).eps(1e-5));
  out_conv_ = models::make_conv2d(nn::Conv2dOptions(input_ch, c.out_channels(), 3).padding(1));
  {
    torch::NoGradGuard no_grad;
    for (auto& p : out_conv_->parameters()) p.zero_();
  }
  register_module("out", nn::Sequential(out_norm_, nn::Identity(), out_conv_));

  transformer_ = register_module("transformer", std::make_shared<models::TextTransformerImpl>(
                                                    c.xf_width, c.xf_layers, c.xf_heads));
  if (c.xf_final_ln) {
    final_ln_ =
        register_module("final_ln", nn::LayerNorm(nn::LayerNormOptions({c.xf_width}).eps(1e-5)));
  }
  token_embedding_ = register_module("token_embedding", nn::Embedding(c.n_vocab, c.xf_width));
  transformer_proj_ = register_module("transformer_proj", models::make_linear(c.xf_width, emb_dim));
}

void Text2ImUNetImpl::set_compute_dtype(torch::Dtype dtype, Float32Weights narrowed) {
  if (dtype != torch::kFloat32 && dtype != torch::kFloat16 && dtype != torch::kBFloat16) {
    throw Error(Status::invalid_argument,
                fmt::format("model compute dtype {} is not supported; expected float32, float16 or "
                            "bfloat16",
                            c10::toString(dtype)));
  }
  // Channels-last (NHWC) convolution weights make LibTorch run the convolutions, and the ops
  // after them, on NHWC activations. With the fused group norm on CUDA that is the faster layout
  // (H200, 2026-11-27: base step 6.4 -> 5.2 ms, upsampler 9.9 -> 8.6 ms at batch 1); without it
  // LibTorch's group norm converts every activation back and forth. On the CPU, oneDNN's
  // bfloat16 convolutions gain from it (2-core EPYC, 2 threads, 2026-11-30, medians of runs
  // alternated with NCHW: upsampler step 2.75 -> 2.32 s, base step equal to 15% faster, 2% less
  // memory) while float32 ones do not (within noise, 20% more memory). GLIDE_CHANNELS_LAST=0/1
  // overrides.
  const auto parameters = this->parameters();
  const bool on_cuda = !parameters.empty() && parameters.front().is_cuda();
  const bool channels_last = env_switch(
      "GLIDE_CHANNELS_LAST", on_cuda ? models::fused_norm_enabled() : dtype == torch::kBFloat16);
  const bool exact = dtype_ == torch::kFloat32 || !float32_weights_.empty();
  if (dtype != dtype_ && !exact) {
    throw Error(Status::invalid_argument,
                fmt::format("the {} model's weights were rounded to {} without keeping the "
                            "float32 ones, so computing in {} would not give {} results; make the "
                            "pipeline (or load the model) in float32 to call it in other dtypes",
                            config_.super_res ? "upsampler" : "base", io::dtype_name(dtype_),
                            io::dtype_name(dtype), io::dtype_name(dtype)));
  }
  const bool keep = narrowed == Float32Weights::keep && dtype_ == torch::kFloat32 &&
                    dtype != torch::kFloat32 && float32_weights_.empty();
  torch::NoGradGuard no_grad;
  size_t index = 0;
  for (const auto& module : modules(/*include_self=*/true)) {
    // Normalization parameters stay float32: norms are computed in float32 (see group_norm32).
    if (module->as<nn::GroupNormImpl>() || module->as<nn::LayerNormImpl>()) continue;
    for (auto& p : module->parameters(/*recurse=*/false)) {
      const auto layout = channels_last && p.dim() == 4 ? at::MemoryFormat::ChannelsLast
                                                        : at::MemoryFormat::Contiguous;
      if (keep)
        float32_weights_.push_back(p.detach().to(torch::kCPU, /*non_blocking=*/false,
                                                 /*copy=*/true));
      // From the kept float32 weights when there are some: never a rounding of a rounding.
      const torch::Tensor& source = float32_weights_.empty() ? p : float32_weights_.at(index++);
      p.set_data(source.to(p.device(), dtype).contiguous(layout));
    }
  }
  if (dtype == torch::kFloat32) float32_weights_.clear();  // the weights are exact again
  dtype_ = dtype;
}

TextEmbedding Text2ImUNetImpl::encode_text(const torch::Tensor& tokens, const torch::Tensor& mask) {
  const auto& c = config_;
  if (tokens.dim() != 2 || tokens.size(1) != c.text_ctx) {
    throw Error(Status::invalid_argument,
                fmt::format("text tokens have shape {}; expected (batch, text_ctx={})",
                            c10::str(tokens.sizes()), c.text_ctx));
  }
  if (c.xf_padding && (!mask.defined() || mask.sizes() != tokens.sizes())) {
    throw Error(Status::invalid_argument,
                fmt::format("this model pads its text (xf_padding) and needs a mask of the tokens' "
                            "shape {}; got {}",
                            c10::str(tokens.sizes()),
                            mask.defined() ? c10::str(mask.sizes()) : std::string("none")));
  }
  const auto ids = tokens.to(at::kLong);
  if (ids.numel() > 0 &&
      (ids.min().item<int64_t>() < 0 || ids.max().item<int64_t>() >= c.n_vocab)) {
    throw Error(Status::invalid_argument,
                fmt::format("text token ids must be in [0, {}); got values in [{}, {}]", c.n_vocab,
                            ids.min().item<int64_t>(), ids.max().item<int64_t>()));
  }
  auto xf_in = token_embedding_->forward(ids) + positional_embedding_.unsqueeze(0);
  if (c.xf_padding) {
    xf_in = at::where(mask.to(at::kBool).unsqueeze(-1), xf_in, padding_embedding_.unsqueeze(0));
  }
  auto xf_out = transformer_->forward(xf_in.to(dtype_));
  if (final_ln_) xf_out = models::layer_norm32(xf_out, final_ln_);
  // The last position summarises the prompt (it is the end/padding token).
  auto xf_proj = transformer_proj_->forward(xf_out.select(1, -1));
  return {xf_proj, xf_out.permute({0, 2, 1})};
}

void Text2ImUNetImpl::check_inputs(const torch::Tensor& x, const torch::Tensor& timesteps,
                                   const TextEmbedding& text) const {
  const int64_t levels = static_cast<int64_t>(config_.channel_multipliers().size());
  const int64_t multiple = int64_t{1} << (levels - 1);
  if (x.dim() != 4 || x.size(1) != 3 || x.size(2) % multiple || x.size(3) % multiple) {
    throw Error(Status::invalid_argument,
                fmt::format("model input x has shape {}; expected (batch, 3, H, W) with H and W "
                            "multiples of {}",
                            c10::str(x.sizes()), multiple));
  }
  const int64_t batch = x.size(0);
  if (timesteps.dim() != 1 || timesteps.size(0) != batch) {
    throw Error(Status::invalid_argument, fmt::format("timesteps have shape {}; expected ({})",
                                                      c10::str(timesteps.sizes()), batch));
  }
  if (!text.xf_proj.defined() || !text.xf_out.defined() || text.xf_proj.size(0) != batch ||
      text.xf_out.size(0) != batch) {
    throw Error(Status::invalid_argument,
                fmt::format("the text embedding must be encode_text()'s output for the same batch "
                            "of {}",
                            batch));
  }
}

torch::Tensor Text2ImUNetImpl::assemble_input(const torch::Tensor& x,
                                              const Conditioning& cond) const {
  const auto& c = config_;
  std::vector<torch::Tensor> parts{x};
  const auto expect = [&](const torch::Tensor& t, const char* name, int64_t channels,
                          bool same_hw) {
    if (!t.defined()) {
      throw Error(Status::invalid_argument,
                  fmt::format("this model ({}{}) needs conditioning input {}",
                              c.super_res ? "super-resolution" : "",
                              c.inpaint ? (c.super_res ? " inpainting" : "inpainting") : "", name));
    }
    if (t.dim() != 4 || t.size(0) != x.size(0) || t.size(1) != channels ||
        (same_hw && (t.size(2) != x.size(2) || t.size(3) != x.size(3)))) {
      throw Error(Status::invalid_argument,
                  fmt::format("conditioning input {} has shape {}; expected ({}, {}, {})", name,
                              c10::str(t.sizes()), x.size(0), channels,
                              same_hw ? fmt::format("{}, {}", x.size(2), x.size(3)) : "h, w"));
    }
  };
  if (c.inpaint) {
    expect(cond.inpaint_image, "inpaint_image", 3, true);
    expect(cond.inpaint_mask, "inpaint_mask", 1, true);
    const auto mask = cond.inpaint_mask.to(x.scalar_type());
    parts.push_back(cond.inpaint_image.to(x.scalar_type()) * mask);
    parts.push_back(mask);
  }
  if (c.super_res) {
    expect(cond.low_res, "low_res", 3, false);
    parts.push_back(at::upsample_bilinear2d(cond.low_res.to(x.scalar_type()),
                                            {x.size(2), x.size(3)},
                                            /*align_corners=*/false));
  }
  return parts.size() == 1 ? x : at::cat(parts, 1);
}

torch::Tensor Text2ImUNetImpl::forward(const torch::Tensor& x, const torch::Tensor& timesteps,
                                       const TextEmbedding& text, const Conditioning& cond) {
  check_inputs(x, timesteps, text);
  auto emb = time_embed_->forward(timestep_embedding(timesteps, config_.num_channels).to(dtype_));
  emb = emb + text.xf_proj.to(emb.scalar_type());
  const auto emb_act = at::silu(emb);  // what every ResBlock's emb_layers starts with
  const auto xf_out = models::tokens_for_attention(text.xf_out);

  auto h = assemble_input(x, cond).to(dtype_);
  std::vector<torch::Tensor> skips;
  skips.reserve(input_blocks_.size());
  for (auto& block : input_blocks_) {
    h = block->forward(h, emb_act, xf_out);
    skips.push_back(h);
  }
  h = middle_block_->forward(h, emb_act, xf_out);
  for (auto& block : output_blocks_) {
    // Only the concatenation is kept: the skip and the previous output are released before the
    // block runs, and the block releases its input after its first layer (it takes it by
    // value). Holding them through the block would keep two more activations at the peak.
    torch::Tensor input = models::concat_channels(h, skips.back());
    skips.pop_back();
    h.reset();
    h = block->forward(std::move(input), emb_act, xf_out);
  }
  h = out_conv_->forward(models::norm_act(h, out_norm_, models::Activation::silu));
  return h.to(x.scalar_type()).contiguous();  // NCHW also after channels-last convolutions
}

}  // namespace glide
