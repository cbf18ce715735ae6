#pragma once

// glide_images in and out of tensors, and the checks caller-filled ones get.
#include <torch/types.h>

#include <initializer_list>

#include "glide.h"

namespace glide::capi {

// A copy of uint8 (N, H, W, C) images, on any device, as a glide_images that
// glide_images_free() releases. Throws glide::Error(invalid_argument) for another dtype or rank.
glide_images* images_from_tensor(const torch::Tensor& images);

// Caller-filled images, refused (GLIDE_ERROR_INVALID_ARGUMENT naming `name`) when NULL, empty,
// implausibly large, without pixels, or with a channel count not among `channels`.
void check_images(const glide_images* images, const char* name,
                  std::initializer_list<int64_t> channels);

// Caller-owned pixels as a uint8 (N, H, W, C) tensor (a copy: the library keeps nothing of them).
torch::Tensor tensor_from_images(const glide_images& images);

}  // namespace glide::capi
