#pragma once

#include <torch/types.h>

#include <cstdint>
#include <map>
#include <set>
#include <string>

namespace glide::image {

// Text chunks: keyword → UTF-8 value. Keywords are 1-79 printable ASCII characters without
// leading, trailing or doubled spaces (the PNG rules, narrowed to ASCII).
using PngText = std::map<std::string, std::string>;

// The longest side glide decodes (PNG and JPEG): a damaged or hostile header cannot ask for
// gigabytes. load_png_info reads larger headers.
inline constexpr uint32_t kMaxImageSide = 16384;

struct PngImage {
  torch::Tensor pixels;  // uint8 (H, W, 3) RGB
  PngText text;          // every tEXt, zTXt and iTXt chunk, converted to UTF-8
};

// Writes a uint8 (H, W, 3) image (any device, any strides) as an 8-bit RGB PNG with `text` as
// tEXt chunks (ASCII values) or iTXt chunks (other UTF-8 values). Refuses to replace an existing
// file unless `overwrite` (glide::Error(invalid_argument)); writes a temporary file next to
// `path` and renames it, so readers never see half a file. Throws glide::Error naming the
// file: invalid_argument for a bad image, keyword or value, io_error when writing fails.
void save_png(const std::string& path, const torch::Tensor& image, const PngText& text = {},
              bool overwrite = false);

// Throws what save_png throws for `text` (glide::Error(invalid_argument): a bad keyword, a value
// that is not UTF-8, holds a NUL or is over 8 MiB), so that a writer can refuse it before work.
void check_png_text(const PngText& text);

// Reads any PNG (gray, gray + alpha, RGB, RGBA, palette; 1-16 bits; interlaced) as uint8 RGB:
// 16-bit samples are scaled to 8, gray is repeated, alpha is dropped. Throws glide::Error naming
// the file: not_found, io_error, invalid_format for a damaged or non-PNG file, unsupported for
// images over 16384 pixels on a side or more text than glide reads (16 MiB per text, 32 MiB in
// all, decompressed).
PngImage load_png(const std::string& path);

// A PNG's size and text chunks, read without decoding its pixels (a 16384x16384 image's header
// reads in milliseconds). The same checks and errors as load_png, but for the pixel data.
struct PngInfo {
  uint32_t width = 0;
  uint32_t height = 0;
  PngText text;
  // Keywords more than one text chunk gives (PNG allows it); `text` holds the last one's value.
  std::set<std::string> repeated_keywords;
};
PngInfo load_png_info(const std::string& path);

// The same as load_png for a PNG held in memory; `what` names it in errors.
PngImage decode_png(const uint8_t* data, size_t size, const std::string& what = "PNG data");
// The PNG file's bytes for an image and text chunks (as save_png writes them).
std::string encode_png(const torch::Tensor& image, const PngText& text = {});

}  // namespace glide::image
