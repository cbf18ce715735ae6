#pragma once

// Writing a batch of generated images as PNG files, each with the record that makes it again
// (image_record.hpp): the CLI's -o and Python's save= name files the same way.
#include <torch/types.h>

#include <functional>
#include <string>
#include <vector>

#include "pipeline/image_record.hpp"

namespace glide {

// Where a batch goes: `path` itself for one image or a grid, else NAME-<k>.EXT for each k.
std::vector<std::string> output_paths(const std::string& path, int64_t batch, bool grid);

// Throws glide::Error(invalid_argument) when no write may take `path` (io::check_output_file:
// a folder, a missing folder, a read-only file) or, unless `overwrite`, when a file of that name
// exists (a dangling link too; said before its being read-only), saying `how_to_overwrite`
// ("pass --overwrite"). For refusing before minutes of work rather than after them.
void refuse_existing_output(const std::string& path, bool overwrite,
                            const std::string& how_to_overwrite);

// Why two of `paths` cannot both be written ("" when they can): they name one file (a link can
// make NAME-0.png name NAME-1.png), which would be written the second over the first.
std::string same_file_conflict(const std::vector<std::string>& paths);

// refuse_existing_output for each of `paths`, after refusing two that name one file
// (glide::Error(invalid_argument) saying same_file_conflict).
void refuse_existing_outputs(const std::vector<std::string>& paths, bool overwrite,
                             const std::string& how_to_overwrite);

// Writes uint8 (B, H, W, 3) images to `paths`, image k with the text chunks text_of(k). All or
// none: a failure removes the files written before it (those that are new) and restores those it
// replaced. Existing files are refused (glide::Error(invalid_argument)) unless `overwrite`.
void write_png_files(const torch::Tensor& images, const std::vector<std::string>& paths,
                     bool overwrite, const std::function<image::PngText(int64_t)>& text_of);

// Throws what write_image_files would (glide::Error(invalid_argument)) when the record of an image
// of a `count`-image batch cannot be PNG text (a prompt of megabytes), to refuse it before work.
void check_records_fit(const ImageRecord& batch_record, int64_t count);

// Writes uint8 (B, H, W, 3) images to `paths` (from output_paths). Each file records the
// parameters that make it alone (image_params); a grid records the whole batch's. All or none:
// a failure removes the batch's files written before it (those that are new) and restores those
// it replaced.
void write_image_files(const torch::Tensor& images, const std::vector<std::string>& paths,
                       bool grid, bool overwrite, const ImageRecord& batch_record);

}  // namespace glide
