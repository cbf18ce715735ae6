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
};

// `images`: uint8 (H, W, 3), row by row, `columns` per row; sizes may differ (each is centred in
// a cell as large as the largest image and its column label). Row and column labels longer
// than 40 characters are shortened with "...".
torch::Tensor labelled_sheet(const std::vector<torch::Tensor>& images, int64_t columns,
                             const SheetLabels& labels);

}  // namespace glide::cli
