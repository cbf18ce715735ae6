#pragma once

// A labelled contact sheet for glide sweep: a title line, the column labels above the grid and
// the row labels at its left, in draw.hpp's built-in font.
#include <torch/types.h>

#include <string>
#include <vector>

namespace glide::cli {

struct SheetLabels {
  std::string title;
  std::vector<std::string> rows;                  // one per row
  std::vector<std::vector<std::string>> columns;  // per column, one line each
  // Shown between the title and the grid under its caption: what every cell started from (an
  // inpainting sweep's input). Undefined: none.
  torch::Tensor reference;  // uint8 (H, W, 3)
  std::string reference_caption;
};

// `images`: uint8 (H, W, 3), row by row, `columns` per row; sizes may differ (each is centred in
// a cell as large as the largest image and its column label). Row and column labels longer
// than 40 characters are shortened with "..."; the title and the reference's caption are not.
torch::Tensor labelled_sheet(const std::vector<torch::Tensor>& images, int64_t columns,
                             const SheetLabels& labels);

}  // namespace glide::cli
