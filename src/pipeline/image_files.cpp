#include "pipeline/image_files.hpp"

#include <fmt/format.h>

#include <cmath>
#include <filesystem>

#include "glide/error.hpp"
#include "glide/image/draw.hpp"
#include "glide/image/png.hpp"
#include "glide/io/files.hpp"
#include "io/new_outputs.hpp"

namespace glide {

namespace {

// The text chunks of image k of a batch: the record that makes it alone.
image::PngText image_record_text(const ImageRecord& batch_record, int64_t k) {
  ImageRecord record = batch_record;
  record.params = image_params(batch_record.params, k);
  return record_text(record);
}

}  // namespace

std::vector<std::string> output_paths(const std::string& path, int64_t batch, bool grid) {
  if (batch == 1 || grid) return {path};
  const std::filesystem::path p(path);
  const std::string ext = p.has_extension() ? p.extension().string() : ".png";
  std::vector<std::string> paths;
  for (int64_t k = 0; k < batch; ++k) {
    paths.push_back((p.parent_path() / fmt::format("{}-{}{}", p.stem().string(), k, ext)).string());
  }
  return paths;
}

void refuse_existing_output(const std::string& path, bool overwrite,
                            const std::string& how_to_overwrite) {
  namespace fs = std::filesystem;
  std::error_code ec;
  // symlink_status: a dangling link is a name that exists too.
  if (!overwrite && fs::symlink_status(path, ec).type() != fs::file_type::not_found && !ec) {
    // A file (read-only or not) or a dangling link is refused as existing first: replacing it
    // must be asked for before anything else about it matters. A folder or a device is said to
    // be one below instead, since nothing allows writing over those.
    const fs::file_type target = fs::status(path, ec).type();  // through links
    if (target == fs::file_type::regular || target == fs::file_type::not_found) {
      throw Error(Status::invalid_argument,
                  fmt::format("'{}' already exists; refusing to overwrite it ({})", path,
                              how_to_overwrite));
    }
  }
  io::check_output_file(path, /*overwrite=*/true);
}

std::string same_file_conflict(const std::vector<std::string>& paths) {
  for (size_t i = 0; i < paths.size(); ++i) {
    for (size_t j = i + 1; j < paths.size(); ++j) {
      if (io::same_file(paths[i], paths[j])) {
        return fmt::format(
            "'{}' and '{}' name the same file, which would be written twice, the second over "
            "the first; give each output its own name",
            paths[i], paths[j]);
      }
    }
  }
  return {};
}

void refuse_existing_outputs(const std::vector<std::string>& paths, bool overwrite,
                             const std::string& how_to_overwrite) {
  if (const std::string why = same_file_conflict(paths); !why.empty()) {
    throw Error(Status::invalid_argument, why);
  }
  for (const std::string& path : paths) refuse_existing_output(path, overwrite, how_to_overwrite);
}

void write_image_files(const torch::Tensor& images, const std::vector<std::string>& paths,
                       bool grid, bool overwrite, const ImageRecord& batch_record) {
  const int64_t batch = images.size(0);
  if (grid && batch > 1) {
    const auto columns = static_cast<int64_t>(std::ceil(std::sqrt(static_cast<double>(batch))));
    image::save_png(paths.at(0), image::make_grid(images, columns), record_text(batch_record),
                    overwrite);
    return;
  }
  write_png_files(images, paths, overwrite,
                  [&](int64_t k) { return image_record_text(batch_record, k); });
}

void check_records_fit(const ImageRecord& batch_record, int64_t count) {
  for (int64_t k = 0; k < count; ++k) image::check_png_text(image_record_text(batch_record, k));
}

void write_png_files(const torch::Tensor& images, const std::vector<std::string>& paths,
                     bool overwrite, const std::function<image::PngText(int64_t)>& text_of) {
  if (images.size(0) != static_cast<int64_t>(paths.size())) {
    throw Error(Status::invalid_argument,
                fmt::format("{} images for {} files", images.size(0), paths.size()));
  }
  io::detail::NewOutputs written;  // every image of the batch, or none
  for (int64_t k = 0; k < images.size(0); ++k) {
    const std::string& path = paths[static_cast<size_t>(k)];
    written.write(path, [&] { image::save_png(path, images[k], text_of(k), overwrite); });
  }
  written.keep();
}

}  // namespace glide
