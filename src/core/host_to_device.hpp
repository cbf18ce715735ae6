#pragma once

#include <torch/types.h>

namespace glide {

// `host` on `device`, without making the host wait for the device. LibTorch's copy from pageable
// host memory to a CUDA device synchronizes the stream afterwards, so each one drains the GPU's
// queue and leaves it idle while the host issues the next work; a DDPM step made about twenty
// such copies (timestep coefficients, noise). From page-locked memory the copy is queued
// like a kernel, and LibTorch's caching host allocator keeps the block until the copy has run.
// Anything other than a CPU tensor bound for a CUDA device is moved with a plain `to`.
torch::Tensor to_device_without_sync(const torch::Tensor& host, const torch::Device& device);

// `host` with `options`' device and dtype: moved by to_device_without_sync, then converted there.
torch::Tensor to_options_without_sync(const torch::Tensor& host, const at::TensorOptions& options);

// Options for a CPU tensor that will go to `device`: page-locked when that is a CUDA device, so
// that to_device_without_sync copies it as it is.
at::TensorOptions host_staging_options(const torch::Device& device, at::ScalarType dtype);

}  // namespace glide
