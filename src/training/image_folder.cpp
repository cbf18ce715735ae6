#include "glide/training/image_folder.hpp"

#include <ATen/ATen.h>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <filesystem>

#include "glide/error.hpp"
#include "glide/image/decode.hpp"
#include "glide/io/files.hpp"
#include "glide/tokenizer.hpp"

namespace glide::training {

namespace {

namespace fs = std::filesystem;

constexpr size_t kMaxCaptionBytes = size_t{1} << 20;

bool is_image_file(const fs::path& path) {
  const std::string ext = io::lowercase_extension(path.string());
  return ext == ".png" || ext == ".jpg" || ext == ".jpeg";
}

// What stands under an image's name that is not a regular file, in words.
std::string what_is_there(const fs::path& path) {
  std::error_code ec;
  if (fs::is_symlink(fs::symlink_status(path, ec))) {
    const fs::path target = fs::read_symlink(path, ec);
    const fs::file_status status = fs::status(path, ec);
    if (status.type() == fs::file_type::not_found) {
      return fmt::format("a link to {}, which does not exist", target.string());
    }
    if (ec) return fmt::format("a link that cannot be followed ({})", ec.message());
  }
  return fs::is_directory(path, ec) ? "a folder" : "not a regular file";
}

std::string read_caption(const fs::path& path) {
  // Errors name the file; a caption is a line or a paragraph, not a megabyte.
  std::string text = io::read_file(path.string(), kMaxCaptionBytes);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
  try {
    Tokenizer::check_text(text);  // rejects invalid UTF-8, naming the byte offset
  } catch (const Error& e) {
    throw Error(Status::invalid_format, fmt::format("caption {}: {}", path.string(), e.what()));
  }
  return text;
}

}  // namespace

torch::Tensor resize_center_crop(const torch::Tensor& image, int64_t size) {
  if (image.dim() != 3 || image.size(2) != 3 || image.scalar_type() != torch::kUInt8) {
    throw Error(Status::invalid_argument,
                fmt::format("image has shape {} and dtype {}; expected uint8 (H, W, 3)",
                            c10::str(image.sizes()), c10::toString(image.scalar_type())));
  }
  const int64_t h = image.size(0), w = image.size(1);
  const double scale = static_cast<double>(size) / static_cast<double>(std::min(h, w));
  const int64_t new_h = std::max<int64_t>(size, std::llround(static_cast<double>(h) * scale));
  const int64_t new_w = std::max<int64_t>(size, std::llround(static_cast<double>(w) * scale));
  const torch::Tensor planar = image.permute({2, 0, 1}).unsqueeze(0).to(torch::kFloat32);
  const torch::Tensor resized = at::_upsample_bicubic2d_aa(planar, {new_h, new_w},
                                                           /*align_corners=*/false)
                                    .squeeze(0);
  const int64_t top = (new_h - size) / 2, left = (new_w - size) / 2;
  const torch::Tensor cropped =
      resized.slice(1, top, top + size).slice(2, left, left + size).clamp(0, 255);
  return (cropped / 127.5 - 1.0).contiguous();
}

std::string ImageFolderDataset::description() const {
  return fmt::format("{} images in {}", images_.size(), folder_);
}

ImageFolderDataset::ImageFolderDataset(const std::string& folder, int64_t image_size)
    : folder_(fs::absolute(folder).lexically_normal().string()), image_size_(image_size) {
  std::error_code ec;
  const fs::file_status status = fs::status(folder, ec);
  if (status.type() == fs::file_type::not_found) {
    throw Error(Status::not_found, fmt::format("image folder {} does not exist", folder));
  }
  if (ec) {  // a symlink loop, a folder on the way that cannot be entered
    throw Error(Status::io_error,
                fmt::format("cannot reach the image folder {}: {}", folder, ec.message()));
  }
  if (status.type() != fs::file_type::directory) {
    throw Error(Status::invalid_argument,
                fmt::format("{} is not a folder; give the folder holding the images and their "
                            "captions",
                            folder));
  }
  std::vector<fs::path> files;
  fs::directory_iterator entries(folder, ec);
  for (; !ec && entries != fs::directory_iterator(); entries.increment(ec)) {
    if (!is_image_file(entries->path())) continue;
    std::error_code entry_error;
    if (entries->is_regular_file(entry_error)) {
      files.push_back(entries->path());
      continue;
    }
    // Skipping it would train on fewer images than the folder seems to hold.
    throw Error(Status::invalid_argument,
                fmt::format("{} in the image folder is {}; expected an image file",
                            entries->path().string(), what_is_there(entries->path())));
  }
  if (ec) {
    throw Error(Status::io_error,
                fmt::format("cannot list the image folder {}: {}", folder, ec.message()));
  }
  std::sort(files.begin(), files.end());  // a stable order, whatever the file system's
  if (files.empty()) {
    throw Error(Status::not_found,
                fmt::format("image folder {} holds no .png, .jpg or .jpeg files", folder));
  }
  for (const auto& file : files) {
    fs::path caption = file;
    caption.replace_extension(".txt");
    // A caption that is there but no file (a folder, a pipe) is named as such by read_file.
    if (!fs::exists(caption, ec)) {
      throw Error(Status::not_found,
                  fmt::format("image {} has no caption file {}", file.string(), caption.string()));
    }
    images_.push_back(file.string());
    captions_.push_back(read_caption(caption));
  }
  // Every image is decoded now (and kept, within the cache's budget): a file that cannot be read
  // stops the run before its first step rather than hours in, when taking it out would change
  // the dataset its checkpoint records.
  for (int64_t i = 0; i < size(); ++i) get(i);
}

Example ImageFolderDataset::get(int64_t index) const {
  if (index < 0 || index >= size()) {
    throw Error(Status::invalid_argument,
                fmt::format("image index {} is outside [0, {})", index, size()));
  }
  const auto i = static_cast<size_t>(index);
  {
    const std::lock_guard<std::mutex> lock(cache_mutex_);
    if (i < cache_.size() && cache_[i].defined()) return {cache_[i], captions_[i]};
  }
  // Decoded without the lock; the trainer only reads the tensor it gets.
  torch::Tensor image = resize_center_crop(image::load_image(images_[i]), image_size_);
  const std::lock_guard<std::mutex> lock(cache_mutex_);
  const size_t bytes = static_cast<size_t>(image.nbytes());
  if (cached_bytes_ + bytes <= kMaxCachedBytes) {
    if (cache_.size() < images_.size()) cache_.resize(images_.size());
    if (!cache_[i].defined()) cached_bytes_ += bytes;
    cache_[i] = image;
  }
  return {image, captions_[i]};
}

}  // namespace glide::training
