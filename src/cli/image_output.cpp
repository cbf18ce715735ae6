#include "image_output.hpp"

#include <fmt/core.h>

#include <cmath>
#include <filesystem>
#include <vector>

#include "core/printable.hpp"
#include "glide/error.hpp"
#include "glide/image/draw.hpp"
#include "glide/image/png.hpp"
#include "glide/io/files.hpp"
#include "io/new_outputs.hpp"
#include "usage_error.hpp"

namespace glide::cli {

void add_output_flags(CLI::App* cmd, OutputFlags& flags, const std::string& default_help,
                      bool batch) {
  std::string help = "The PNG file to write (default: " + default_help + ")";
  if (batch) help += ". With --batch-size > 1, one file per image: NAME-0.png, NAME-1.png, ...";
  const CLI::Validator png_name(
      [](std::string& name) -> std::string {
        if (name.empty()) return "an empty name names no file; give one such as out.png";
        if (io::lowercase_extension(name) != ".png") {
          return fmt::format("'{}': glide writes PNG images; give a name that ends in .png", name);
        }
        return "";
      },
      "FILE.png");
  cmd->add_option("-o,--output", flags.path, help)->check(png_name)->group("Output");
  cmd->add_flag("--overwrite", flags.overwrite, "Replace output files that exist")->group("Output");
  if (batch) {
    cmd->add_flag("--grid", flags.grid,
                  "With --batch-size > 1, write the images as one contact sheet instead of one "
                  "file each")
        ->group("Output");
  }
}

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

void refuse_existing(const std::vector<std::string>& paths, bool overwrite) {
  for (size_t i = 0; i < paths.size(); ++i) {
    for (size_t j = i + 1; j < paths.size(); ++j) {
      if (io::same_file(paths[i], paths[j])) {
        // Two flags naming one file is a command-line mistake (exit status 2).
        throw UsageError(
            fmt::format("'{}' and '{}' name the same file, which this command would "
                        "write twice, the second over the first; give each output "
                        "its own name",
                        paths[i], paths[j]));
      }
    }
  }
  for (const std::string& path : paths) {
    // What no flag allows first (a folder, a device, a read-only file, a missing folder), so
    // that a folder is not reported as a file that exists.
    io::check_output_file(path, /*overwrite=*/true);
    std::error_code ec;
    // symlink_status: a dangling link is a name that exists too.
    const auto type = std::filesystem::symlink_status(path, ec).type();
    if (!overwrite && !ec && type != std::filesystem::file_type::not_found) {
      throw Error(
          Status::invalid_argument,
          fmt::format("'{}' already exists; refusing to overwrite it (pass --overwrite)", path));
    }
  }
}

void write_images(const torch::Tensor& images, const std::vector<std::string>& paths, bool grid,
                  bool overwrite, const ImageRecord& batch_record) {
  const int64_t batch = images.size(0);
  if (grid && batch > 1) {
    const auto columns = static_cast<int64_t>(std::ceil(std::sqrt(static_cast<double>(batch))));
    image::save_png(paths.at(0), image::make_grid(images, columns), png_text(batch_record),
                    overwrite);
    fmt::print("wrote {} ({} images, seeds {} to {})\n", printable(paths[0]), batch,
               batch_record.params.seed,
               batch_record.params.seed + static_cast<uint64_t>(batch - 1));
    return;
  }
  io::detail::NewOutputs written;  // every image of the batch, or none
  std::vector<uint64_t> seeds;
  for (int64_t k = 0; k < batch; ++k) {
    ImageRecord record = batch_record;
    record.params = image_params(batch_record.params, k);
    const std::string& path = paths.at(static_cast<size_t>(k));
    written.write(path, [&] { image::save_png(path, images[k], png_text(record), overwrite); });
    seeds.push_back(record.params.seed);
  }
  written.keep();
  for (size_t k = 0; k < seeds.size(); ++k) {
    fmt::print("wrote {} (seed {})\n", printable(paths[k]), seeds[k]);
  }
}

}  // namespace glide::cli
