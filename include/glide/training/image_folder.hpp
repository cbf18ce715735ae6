#pragma once

#include <mutex>
#include <string>
#include <vector>

#include "glide/training/dataset.hpp"

namespace glide::training {

// A folder of captioned images: every PNG or JPEG file (.png, .jpg, .jpeg, any case) with a
// UTF-8 caption in the same-named .txt file beside it ("cat.png" + "cat.txt"). Images are
// resized so the shorter side is `image_size` (antialiased bicubic) and center-cropped square.
// Throws glide::Error listing the problem: a missing folder, no images, an image without its
// caption (named), a caption that is not UTF-8.
class ImageFolderDataset : public Dataset {
 public:
  ImageFolderDataset(const std::string& folder, int64_t image_size);

  int64_t size() const override { return static_cast<int64_t>(images_.size()); }
  int64_t image_size() const override { return image_size_; }
  // The first call decodes and resizes the file; the result is kept (up to kMaxCachedBytes in
  // all, then files are decoded each time): a photo of 6000x6000 took a second a step.
  Example get(int64_t index) const override;
  static constexpr size_t kMaxCachedBytes = size_t{1} << 30;
  std::string description() const override;  // "N images in /absolute/folder"

 private:
  std::string folder_;  // absolute
  std::vector<std::string> images_;
  std::vector<std::string> captions_;
  int64_t image_size_;
  mutable std::mutex cache_mutex_;
  mutable std::vector<torch::Tensor> cache_;  // model-sized images, by index
  mutable size_t cached_bytes_ = 0;
};

// uint8 (H, W, 3) → float32 (3, size, size) in [-1, 1]: shorter side to `size`, then centre crop.
torch::Tensor resize_center_crop(const torch::Tensor& image, int64_t size);

}  // namespace glide::training
