#pragma once

// -o/--output, --overwrite and --grid, and writing a batch of images as PNG files.
#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "png_record.hpp"

namespace glide::cli {

struct OutputFlags {
  std::string path;  // empty: the command's default
  bool overwrite = false;
  bool grid = false;
};

void add_output_flags(CLI::App* cmd, OutputFlags& flags, const std::string& default_help,
                      bool batch);

// Where a batch goes: `path` itself for one image or a grid, else NAME-<k>.EXT for each k.
std::vector<std::string> output_paths(const std::string& path, int64_t batch, bool grid);

// For every command's output files (images, sheets, converted checkpoints): throws
// glide::Error(invalid_argument) naming two paths that are one file (whatever `overwrite`), a
// path no write may take (io::check_output_file), or the first path that exists, unless
// `overwrite`; checked before any work so a long run never ends in a refusal or overwrites its
// own output.
void refuse_existing(const std::vector<std::string>& paths, bool overwrite);

// Writes uint8 (B, H, W, 3) images to `paths` (from output_paths). Each file records the
// parameters that make it alone (image_params); a grid records the whole batch's. Prints each
// path written on stdout. All or none: a failure removes the batch's files written before it
// (those that are new).
void write_images(const torch::Tensor& images, const std::vector<std::string>& paths, bool grid,
                  bool overwrite, const ImageRecord& batch_record);

}  // namespace glide::cli
