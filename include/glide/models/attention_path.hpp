#pragma once

// How the UNets' attention blocks compute. Every path gives the reference's result (to rounding);
// they differ in memory layout and in the kernels that run.

namespace glide {

enum class AttentionPath {
  // The reference's layout: per head (batch * heads, channels, positions), 1x1 convolutions,
  // the softmax over the full (positions, tokens + positions) weights. The default.
  reference,
  // Positions as rows with channels last (for channels-last activations a view, not a copy); the
  // 1x1 convolutions become matrix products, which can add their bias in the same kernel; the
  // heads are strided views. The same unfused softmax.
  token_major,
  // token_major with LibTorch's fused scaled-dot-product attention (flash, memory-efficient or
  // cuDNN kernels, as LibTorch chooses), which never stores the weights. LibTorch 2 or newer.
  fused,
};

// The path from the environment variable GLIDE_ATTENTION ("reference", "token-major" or
// "fused"; unset: reference), read once per process. Throws glide::Error(invalid_argument) for
// another value, or for "fused" in a build against LibTorch 1.x.
AttentionPath attention_path();

// "reference", "token-major" or "fused".
const char* attention_path_name(AttentionPath path);

}  // namespace glide
