#pragma once

// -o/--output, --overwrite and --grid, and writing a batch of images as PNG files.
#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "pipeline/image_files.hpp"
#include "png_record.hpp"

namespace glide::cli {

struct OutputFlags {
  std::string path;  // empty: the command's default
  bool overwrite = false;
  bool grid = false;
};

void add_output_flags(CLI::App* cmd, OutputFlags& flags, const std::string& default_help,
                      bool batch);

// For every command's output files (images, sheets, converted checkpoints): throws
// glide::Error(invalid_argument) naming two paths that are one file (whatever `overwrite`), a
// path no write may take, or the first path that exists, unless `overwrite`
// (refuse_existing_output); checked before any work so a long run never ends in a refusal or
// overwrites its own output.
void refuse_existing(const std::vector<std::string>& paths, bool overwrite);

// write_image_files (output_paths gives `paths`), then prints each path written on stdout.
void write_images(const torch::Tensor& images, const std::vector<std::string>& paths, bool grid,
                  bool overwrite, const ImageRecord& batch_record);

}  // namespace glide::cli
