#pragma once

// The computation of the UNet's AttentionBlock: every position attends to the text encoder's
// tokens and to all positions, per head. Two memory layouts (glide/models/attention_path.hpp);
// the block chooses one by attention_path().

#include <torch/types.h>

namespace glide::models {

// One block's weights, in the reference's shapes: qkv (3C, C, 1) and proj_out (C, C, 1) are 1x1
// convolutions over the positions, encoder_kv (2C, E, 1) over the text tokens. qkv's output
// channels are [q, k, v] per head, encoder_kv's [k, v] per head (the reference's "legacy" order).
struct AttentionWeights {
  torch::Tensor qkv_weight, qkv_bias;
  torch::Tensor encoder_kv_weight, encoder_kv_bias;
  torch::Tensor proj_weight, proj_bias;
  int64_t heads = 1;
};

// Both return x + proj_out(attention(qkv(normed), encoder_kv(encoder_out))) for x and normed (its
// group norm) (B, C, H, W) and encoder_out (B, E, S).
//
// As the reference computes it: (B * heads, channels, positions) per head, q and k each scaled
// by ch^-1/4, the softmax over the full weights.
torch::Tensor attention_channels_first(const torch::Tensor& x, const torch::Tensor& normed,
                                       const torch::Tensor& encoder_out,
                                       const AttentionWeights& weights);

// Positions as rows, channels last: for channels-last activations the rows are a view of
// `normed`, the 1x1 convolutions matrix products (addmm, whose bias cuBLAS can add in the same
// kernel), the heads strided views, and proj_out's bias and the residual one pass
// (add_bias_and_residual). The text's and the positions' keys and values are gathered by one
// concatenation. With `fused`, LibTorch's scaled-dot-product attention (LibTorch 2 or newer);
// without, the same arithmetic as attention_channels_first in this layout.
torch::Tensor attention_token_major(const torch::Tensor& x, const torch::Tensor& normed,
                                    const torch::Tensor& encoder_out,
                                    const AttentionWeights& weights, bool fused);

// The text encoder's output (B, E, S) as the attention path uses it: over token-major memory
// for the token-major paths (a copy where it is not, once per evaluation rather than once per
// block), unchanged for the reference path or when undefined.
torch::Tensor tokens_for_attention(const torch::Tensor& encoder_out);

}  // namespace glide::models
