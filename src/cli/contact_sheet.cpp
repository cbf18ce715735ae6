#include "contact_sheet.hpp"

#include <algorithm>
#include <vector>

#include "glide/error.hpp"
#include "glide/image/draw.hpp"

namespace glide::cli {
namespace {

constexpr int64_t kPad = 4;
constexpr size_t kMaxLabel = 40;
const image::Rgb kBackground = {255, 255, 255};

// At most kMaxLabel characters (UTF-8 sequences are one, as the font draws them), cut in the
// middle: prompts on one axis often differ only at their ends ("... on a blue background").
std::string shorten(const std::string& text) {
  std::vector<size_t> starts;  // where each character begins
  for (size_t i = 0; i < text.size(); ++i) {
    if (image::starts_character(text[i])) starts.push_back(i);
  }
  if (starts.size() <= kMaxLabel) return text;
  const size_t head = (kMaxLabel - 3) / 2;
  const size_t tail = kMaxLabel - 3 - head;
  return text.substr(0, starts[head]) + "..." + text.substr(starts[starts.size() - tail]);
}

int64_t width_of(const std::string& text) {
  return text.empty() ? 0 : image::text_size(shorten(text)).width;
}

}  // namespace

torch::Tensor labelled_sheet(const std::vector<torch::Tensor>& images, int64_t columns,
                             const SheetLabels& labels) {
  if (images.empty() || columns < 1) {
    throw Error(Status::invalid_argument, "a contact sheet needs images and columns >= 1");
  }
  const auto count = static_cast<int64_t>(images.size());
  const int64_t rows = (count + columns - 1) / columns;
  int64_t cell_w = 0, cell_h = 0, label_lines = 0, row_label_w = 0;
  for (const auto& im : images) {
    cell_h = std::max(cell_h, im.size(0));
    cell_w = std::max(cell_w, im.size(1));
  }
  for (const auto& lines : labels.columns) {
    label_lines = std::max<int64_t>(label_lines, static_cast<int64_t>(lines.size()));
    for (const auto& line : lines) cell_w = std::max(cell_w, width_of(line));
  }
  for (const auto& label : labels.rows) row_label_w = std::max(row_label_w, width_of(label));

  // Each image centred in a cell of the common size, then laid out by make_grid.
  torch::Tensor cells = torch::empty({count, cell_h, cell_w, 3}, torch::kUInt8);
  for (int c = 0; c < 3; ++c) cells.select(3, c).fill_(kBackground[static_cast<size_t>(c)]);
  for (int64_t i = 0; i < count; ++i) {
    const auto& im = images[static_cast<size_t>(i)];
    cells[i]
        .narrow(0, (cell_h - im.size(0)) / 2, im.size(0))
        .narrow(1, (cell_w - im.size(1)) / 2, im.size(1))
        .copy_(im);
  }
  const torch::Tensor grid = image::make_grid(cells, columns, kPad, kBackground);

  const int64_t title_h = labels.title.empty() ? 0 : image::kCellHeight + kPad;
  const torch::Tensor& reference = labels.reference;
  // The caption's line, the image and a gap, below the title.
  const int64_t reference_h =
      reference.defined() ? image::kCellHeight + reference.size(0) + kPad : 0;
  const int64_t labels_y = kPad + title_h + reference_h;  // where the column labels start
  const int64_t top = labels_y + label_lines * image::kCellHeight;
  const int64_t left = row_label_w > 0 ? row_label_w + kPad : 0;
  int64_t width = std::max(left + grid.size(1), image::text_size(labels.title).width + 2 * kPad);
  if (reference.defined()) {
    width = std::max({width, reference.size(1) + 2 * kPad,
                      image::text_size(labels.reference_caption).width + 2 * kPad});
  }
  torch::Tensor sheet = torch::empty({top + grid.size(0), width, 3}, torch::kUInt8);
  for (int c = 0; c < 3; ++c) sheet.select(2, c).fill_(kBackground[static_cast<size_t>(c)]);
  sheet.narrow(0, top, grid.size(0)).narrow(1, left, grid.size(1)).copy_(grid);

  if (!labels.title.empty()) image::draw_text(sheet, labels.title, kPad, kPad);
  if (reference.defined()) {
    const int64_t y = kPad + title_h;
    image::draw_text(sheet, labels.reference_caption, kPad, y);
    sheet.narrow(0, y + image::kCellHeight, reference.size(0))
        .narrow(1, kPad, reference.size(1))
        .copy_(reference);
  }
  for (size_t col = 0; col < labels.columns.size(); ++col) {
    const int64_t x0 = left + kPad + static_cast<int64_t>(col) * (cell_w + kPad);
    for (size_t line = 0; line < labels.columns[col].size(); ++line) {
      const std::string& text = labels.columns[col][line];
      image::draw_text(sheet, shorten(text), x0 + (cell_w - width_of(text)) / 2,
                       labels_y + static_cast<int64_t>(line) * image::kCellHeight);
    }
  }
  for (size_t row = 0; row < labels.rows.size() && static_cast<int64_t>(row) < rows; ++row) {
    const int64_t y0 = top + kPad + static_cast<int64_t>(row) * (cell_h + kPad);
    image::draw_text(sheet, shorten(labels.rows[row]), kPad / 2,
                     y0 + std::max<int64_t>(0, (cell_h - image::kGlyphHeight) / 2));
  }
  return sheet;
}

}  // namespace glide::cli
