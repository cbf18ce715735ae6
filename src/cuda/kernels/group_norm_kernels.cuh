#pragma once

// Launchers of the fused group-norm kernels (group_norm_kernels.cu). Plain C++ types only, so
// that fused_group_norm.cpp, compiled by the C++ compiler against LibTorch, can call them.
#include "cuda/kernels/element.cuh"

namespace glide::cuda::kernels {

// y = act(GroupNorm(x + input_bias) * (1 + scale) + shift) for a 4-D tensor (n, c, h, w) in NCHW
// or NHWC (channels-last) order; statistics and arithmetic in float32, one rounding at the store.
struct GroupNormArgs {
  Element element;
  const void* x;
  void* y;                       // same shape, dtype and layout as x
  const float* gamma;            // (c)
  const float* beta;             // (c)
  const void* scale = nullptr;   // (n, c) rows of x's dtype, or null
  const void* shift = nullptr;   // likewise; given together with scale
  int64_t scale_row_stride = 0;  // elements between the rows of scale and of shift
  // (c) of x's dtype, added to x as it is read (the bias of the convolution that produced x), or
  // null.
  const void* input_bias = nullptr;
  int64_t n, c, hw, groups;
  float eps;
  bool silu;
  bool channels_last;
  // Scratch of group_norm_workspace_floats() floats on the device (unused with one_block).
  float* workspace;
  bool one_block = false;  // one block per group does everything, from group_norm_one_block()
  // Channels-last sums a pixel at a time over all groups, from group_norm_pixel_major(); set it
  // before group_norm_splits().
  bool pixel_major = false;
  int splits;           // blocks per group for the statistics, from group_norm_splits()
  int multiprocessors;  // the device's, to size the elementwise launch
};

// Whether each group is small enough for one block to normalize it alone (one launch instead of
// three): at most 64 channels and 32,768 elements a group, as in the base model's norms, and at
// most 2^22 elements in all (batch 1); larger tensors are bound by bandwidth, where the
// three-kernel path's packed elementwise pass is faster.
bool group_norm_one_block(const GroupNormArgs& args);
// Whether the partial sums of channels-last x go a pixel at a time over all groups (whole 16-byte
// packs per load) rather than a group at a time: c a multiple of the pack, at most 2,048
// channels, x 16-byte aligned.
bool group_norm_pixel_major(const GroupNormArgs& args);
// How many blocks share one group's (or with pixel_major, one sample's) statistics so that the
// launch fills `multiprocessors`.
int group_norm_splits(const GroupNormArgs& args);
int64_t group_norm_workspace_floats(const GroupNormArgs& args);

// Launches the three kernels (partial sums, per-channel coefficients, apply) on `stream`, or
// with one_block the one that does all three.
cudaError_t launch_group_norm(const GroupNormArgs& args, cudaStream_t stream);

}  // namespace glide::cuda::kernels
