#pragma once

// The parts of glide-cuda-check besides the fused norm (fused_norm_check.cpp holds main()).
#include <torch/types.h>

// The bias + residual kernel against float64 for the UNets' shapes, both layouts and all three
// dtypes, and its time against LibTorch's two passes; prints a table, returns the failures.
int check_bias_residual(const torch::Device& device);

// The copy kernels (resampling, channel concatenation) against LibTorch's upsample_nearest2d,
// avg_pool2d and cat (bit for bit) for the UNets' shapes and all three dtypes, and their times;
// prints tables, returns the failures.
int check_copy_kernels(const torch::Device& device);

// Two models' CUDA graphs, bound at once and replayed in turn (sharing one memory pool), against
// eager evaluation; prints a line per round, returns the failures.
int check_shared_graph_pool(const torch::Device& device);
