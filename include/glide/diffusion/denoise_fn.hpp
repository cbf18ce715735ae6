#pragma once

#include <torch/types.h>

#include <cstdint>
#include <functional>

namespace glide {

// What a GLIDE network predicts for x_t. Both tensors have x_t's shape.
struct ModelOutput {
  torch::Tensor eps;  // the noise in x_t
  // Where each element's log-variance lies between the posterior's log β̃_t (-1) and log β_t (+1):
  // the learned range of improved DDPM (Nichol & Dhariwal 2021, eq. 15).
  torch::Tensor var_values;
};

// The only view of a model that the diffusion, the samplers and guidance have. `t` is int64 of
// shape (B): the ORIGINAL process's timesteps (0..999 for GLIDE), already mapped from the respaced
// indices a sampler walks through. GLIDE passes them to the network unscaled.
using DenoiseFn = std::function<ModelOutput(const torch::Tensor& x_t, const torch::Tensor& t)>;

// Transforms a predicted x_0 before it is used: inpainting's known-region replacement,
// thresholding. Applied before the [-1, 1] clipping.
using DenoisedFn = std::function<torch::Tensor(const torch::Tensor& pred_xstart)>;

// Splits a network output (B, 2C, ...) into eps (first C channels) and the variance values.
// Throws glide::Error(invalid_argument) naming the shape when dim 1 is not 2 * channels.
ModelOutput split_model_output(const torch::Tensor& output, int64_t channels = 3);

}  // namespace glide
