#pragma once

#include <cstddef>
#include <cstdint>
#include <set>
#include <string>

#include "glide/image/png.hpp"

namespace glide::image::detail {

// What a PNG says before its pixels: the image size (IHDR) and its text chunks (tEXt, zTXt,
// iTXt) converted to UTF-8, a later keyword replacing an earlier one (PNG allows a keyword in
// several chunks).
struct PngHeader {
  uint32_t width = 0;
  uint32_t height = 0;
  PngText text;
  std::set<std::string> repeated;  // keywords given by more than one text chunk
};

// Walks the chunks of the PNG file in `data` (PNG spec, 3rd edition, section 5) without
// libpng: each chunk's length must fit in the bytes that follow (libpng would allocate a
// declared 2 GiB first), IHDR must come first (with a colour type, depth and methods PNG
// defines), IDAT must appear and IEND come last, and the chunks read here must pass their CRC.
// Texts are read here so that what they inflate to is bounded, per text and in all (libpng's limit
// is per chunk, and forty 15 MiB bombs fit in 600 KB). Pixels are not decoded. Throws glide::Error
// naming `what`: invalid_format for a damaged or non-PNG file, unsupported for more text than glide
// reads.
PngHeader read_png_header(const uint8_t* data, size_t size, const std::string& what);

// "tEXt\0zTXt\0iTXt\0": the chunks read_png_header reads, for libpng to skip.
extern const unsigned char kTextChunkNames[15];

}  // namespace glide::image::detail
