#pragma once

#include <torch/types.h>

#include <string>

namespace glide::image {

// Reads a PNG or JPEG file (recognised by its first bytes, not its name) as uint8 (H, W, 3) RGB.
// Throws glide::Error naming the file: not_found, invalid_format for anything else or a damaged
// file, unsupported for JPEG when glide was built without libjpeg or for a CMYK JPEG.
torch::Tensor load_image(const std::string& path);

}  // namespace glide::image
