#pragma once

// Library-owned glide_images from tensors, for the entry points that return images.
#include <torch/types.h>

#include "glide.h"

namespace glide::capi {

// A copy of uint8 (N, H, W, C) images, on any device, as a glide_images that
// glide_images_free() releases. Throws glide::Error(invalid_argument) for another dtype or rank.
glide_images* images_from_tensor(const torch::Tensor& images);

}  // namespace glide::capi
