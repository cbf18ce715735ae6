// glide_images in and out of tensors, and the checks of caller-filled ones.
#include "capi_images.hpp"

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>

#include "capi_internal.hpp"
#include "glide/error.hpp"

namespace glide::capi {

glide_images* images_from_tensor(const torch::Tensor& images) {
  if (images.scalar_type() != torch::kUInt8 || images.dim() != 4) {
    throw Error(Status::invalid_argument, "images must be uint8 (N, H, W, C), not " +
                                              std::string(c10::toString(images.scalar_type())) +
                                              " with " + std::to_string(images.dim()) +
                                              " dimensions");
  }
  const torch::Tensor c = images.to(torch::kCPU).contiguous();
  auto out = std::make_unique<glide_images>();
  out->count = c.size(0);
  out->height = c.size(1);
  out->width = c.size(2);
  out->channels = c.size(3);
  const size_t n = static_cast<size_t>(c.numel());
  out->pixels = new uint8_t[n > 0 ? n : 1];
  std::memcpy(out->pixels, c.data_ptr<uint8_t>(), n);
  return out.release();
}

void check_images(const glide_images* images, const char* name,
                  std::initializer_list<int64_t> channels) {
  require_arg(images, name);
  if (images->count < 1 || images->height < 1 || images->width < 1) {
    fail(GLIDE_ERROR_INVALID_ARGUMENT, std::string(name) + " is " + std::to_string(images->count) +
                                           " images of " + std::to_string(images->height) + "x" +
                                           std::to_string(images->width) +
                                           "; count, height and width must be positive");
  }
  // Beyond any image a model takes, and keeps count * height * width * channels in range (an
  // INT64_MAX / 2 height overflowed it inside LibTorch).
  constexpr int64_t kMaxSide = 65536, kMaxCount = 4096;
  if (images->height > kMaxSide || images->width > kMaxSide || images->count > kMaxCount) {
    fail(GLIDE_ERROR_INVALID_ARGUMENT, std::string(name) + " is " + std::to_string(images->count) +
                                           " images of " + std::to_string(images->height) + "x" +
                                           std::to_string(images->width) + "; expected at most " +
                                           std::to_string(kMaxCount) + " images of at most " +
                                           std::to_string(kMaxSide) + " pixels a side");
  }
  if (std::find(channels.begin(), channels.end(), images->channels) == channels.end()) {
    std::string expected;
    for (const int64_t c : channels) {
      expected += (expected.empty() ? "" : " or ") + std::to_string(c);
    }
    fail(GLIDE_ERROR_INVALID_ARGUMENT, std::string(name) + "->channels is " +
                                           std::to_string(images->channels) + "; expected " +
                                           expected);
  }
  if (!images->pixels) fail(GLIDE_ERROR_INVALID_ARGUMENT, std::string(name) + "->pixels is NULL");
}

// Caller-owned pixels as a uint8 (N, H, W, C) tensor (a copy: the library keeps nothing of them).
torch::Tensor tensor_from_images(const glide_images& images) {
  return torch::from_blob(images.pixels,
                          {images.count, images.height, images.width, images.channels},
                          torch::kUInt8)
      .clone();
}

}  // namespace glide::capi
