#pragma once

#include <torch/types.h>

#include <array>
#include <cstdint>
#include <string>

namespace glide::image {

using Rgb = std::array<uint8_t, 3>;

// A contact sheet: uint8 (N, H, W, 3) images laid out row by row in min(columns, N) columns,
// with `padding` pixels of `background` between the images and around the edge. The result is
// uint8 (rows * H + (rows + 1) * padding, cols * W + (cols + 1) * padding, 3) on the CPU, where
// rows = ceil(N / cols); cells after the last image stay background. Throws
// glide::Error(invalid_argument) for an empty batch, another shape or dtype, columns < 1 or
// padding < 0.
torch::Tensor make_grid(const torch::Tensor& images, int64_t columns, int64_t padding = 2,
                        Rgb background = {255, 255, 255});

// The built-in font: 5x7-pixel glyphs for printable ASCII in 6x8 cells, magnified by `scale`.
constexpr int64_t kGlyphWidth = 5;
constexpr int64_t kGlyphHeight = 7;
constexpr int64_t kCellWidth = 6;
constexpr int64_t kCellHeight = 8;

struct TextSize {
  int64_t width = 0;
  int64_t height = 0;
};
// Whether byte `c` starts a character (is no UTF-8 continuation byte): where draw_text starts a
// cell, so that "日本" takes two cells, not six.
bool starts_character(char c);

// The pixels draw_text covers for `text`: one line, every UTF-8 character one cell (no trailing
// spacing).
TextSize text_size(const std::string& text, int64_t scale = 1);

// Draws one line of UTF-8 text in place on a uint8 (H, W, 3) CPU image, the glyphs' top-left at
// (x, y); pixels outside the image are skipped. The font is ASCII's: a Latin letter with a
// diacritic (U+00C0..U+017F) draws as its letter ("é" as "e"), typographic quotes and dashes as
// ASCII's, and any other character (or ill-formed byte) as one '?' (a UTF-8 sequence is one cell).
// Throws glide::Error(invalid_argument) for another image shape, a non-contiguous image or
// scale < 1.
void draw_text(torch::Tensor& image, const std::string& text, int64_t x, int64_t y,
               Rgb color = {0, 0, 0}, int64_t scale = 1);

}  // namespace glide::image
