// The C ABI's image files: glide_images_load and glide_images_save.
#include <torch/torch.h>

#include "capi_images.hpp"
#include "capi_internal.hpp"
#include "capi_records.hpp"
#include "glide.h"
#include "glide/error.hpp"
#include "glide/image/decode.hpp"
#include "glide/image/png.hpp"
#include "pipeline/image_files.hpp"

using glide::capi::fail;
using glide::capi::guarded;
using glide::capi::require_arg;

extern "C" {

int glide_images_load(const char* path, int64_t channels, glide_images** images) {
  if (images) *images = nullptr;
  return guarded(__func__, [&] {
    require_arg(path, "path");
    require_arg(images, "images");
    if (channels != 1 && channels != 3) {
      fail(GLIDE_ERROR_INVALID_ARGUMENT,
           "channels is " + std::to_string(channels) + "; expected 3 (RGB) or 1 (a mask)");
    }
    torch::Tensor rgb = glide::image::load_image(path);  // (H, W, 3)
    // A mask keeps a pixel that any channel lights, as the command line's --mask.
    if (channels == 1) rgb = std::get<0>(rgb.max(2, /*keepdim=*/true));
    *images = glide::capi::images_from_tensor(rgb.unsqueeze(0));
  });
}

int glide_images_save(const glide_images* images, const char* path, bool overwrite) {
  return guarded(__func__, [&] {
    glide::capi::check_images(images, "images", {1, 3});
    glide::capi::require_png_name(path, "path");
    constexpr int64_t kMaxSide = glide::image::kMaxImageSide;
    if (images->height > kMaxSide || images->width > kMaxSide) {
      fail(GLIDE_ERROR_INVALID_ARGUMENT,
           "images are " + std::to_string(images->height) + "x" + std::to_string(images->width) +
               " (H x W); glide writes at most " + std::to_string(kMaxSide) +
               " pixels a side, the most glide_images_load reads back");
    }
    const std::vector<std::string> paths = glide::output_paths(path, images->count, /*grid=*/false);
    // Every name checked before any pixel is copied or written.
    glide::refuse_existing_outputs(paths, overwrite, "pass overwrite = true to replace it");
    torch::Tensor pixels = glide::capi::tensor_from_images(*images);
    if (images->channels == 1) pixels = pixels.expand({-1, -1, -1, 3});
    glide::write_png_files(pixels, paths, overwrite,
                           [](int64_t) { return glide::image::PngText{}; });
  });
}

}  // extern "C"
