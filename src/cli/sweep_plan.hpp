#pragma once

// glide sweep's grid: --vary FIELD=V1,V2,... axes and the cells they make.
#include <string>
#include <vector>

#include "glide/pipeline/generation_params.hpp"
#include "pipeline/param_fields.hpp"

namespace glide::cli {

inline constexpr size_t kMaxSweepAxes = 3;
inline constexpr int64_t kMaxSweepCells = 1024;

struct SweepAxis {
  const ParamField* field = nullptr;
  std::string spec;  // the --vary text, for messages
  std::vector<std::string> values;
};

// "FIELD=V1,V2,...": FIELD is any generation parameter (pipeline/param_fields.hpp, aliases
// included); the values are split on ';' when the list holds one (for values with commas, such as
// respacings "10,10,5"), else on ','. Throws UsageError naming the spec.
SweepAxis parse_vary(const std::string& spec);

struct SweepCell {
  int64_t row = 0, column = 0;
  GenerationParams params;
  std::vector<std::string> values;  // this cell's value of each axis
};

struct SweepPlan {
  std::vector<SweepAxis> axes;
  int64_t rows = 0, columns = 0;
  std::vector<SweepCell> cells;  // row by row
};

// Each cell's parameters, in cell order (what ineffective-setting checks take).
std::vector<const GenerationParams*> cell_params(const std::vector<SweepCell>& cells);

// Rows are the first axis's values; columns the product of the other axes', the second axis
// changing slowest. Every cell starts from `start` (so all share its seed unless seed is an
// axis) and sets its axes' values. Throws UsageError for no axes or more than kMaxSweepAxes,
// an axis named twice, batch_size as an axis, a value that does not parse or is given twice,
// more than kMaxSweepCells cells, or an axis that no cell reads (ineffective_settings: a
// guidance scale where no cell is guided, an upsampler field where none upsamples).
SweepPlan plan_sweep(const GenerationParams& start, std::vector<SweepAxis> axes);

}  // namespace glide::cli
