#pragma once

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
  Example get(int64_t index) const override;  // decodes the image file on every call

 private:
  std::vector<std::string> images_;
  std::vector<std::string> captions_;
  int64_t image_size_;
};

// uint8 (H, W, 3) → float32 (3, size, size) in [-1, 1]: shorter side to `size`, then centre crop.
torch::Tensor resize_center_crop(const torch::Tensor& image, int64_t size);

}  // namespace glide::training
