#include "sweep_plan.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "glide/diffusion/schedule.hpp"
#include "param_flags.hpp"
#include "usage_error.hpp"

namespace glide::cli {

namespace {

void set_axis_value(const SweepAxis& axis, GenerationParams& params, const std::string& value) {
  try {
    set_field_text(*axis.field, params, value);
  } catch (const Error& e) {
    throw UsageError(fmt::format("--vary {}: {}", axis.spec, e.what()));
  }
}

// A value given twice would make two identical rows or columns: surely a typo. Values are
// compared as the field reads them, so "2" and "2.0" are one guidance scale and "2" and "02"
// one respacing.
void require_distinct_values(const SweepAxis& axis, const GenerationParams& start) {
  const bool respacing = axis.field->name.find("respacing") != std::string::npos;
  std::vector<std::string> seen;  // each value's text as the field reads it
  std::vector<std::string> keys;  // what makes two values one: the respacing's canonical form
  for (const std::string& value : axis.values) {
    GenerationParams params = start;
    set_axis_value(axis, params, value);
    std::string text = field_text(*axis.field, params);
    std::string key = text;
    try {
      if (respacing) key = canonical_respacing(text);
    } catch (const Error& e) {
      throw UsageError(fmt::format("--vary {}: {}", axis.spec, e.what()));
    }
    const auto same = std::find(keys.begin(), keys.end(), key);
    if (same != keys.end()) {
      const std::string& first = seen[static_cast<size_t>(same - keys.begin())];
      throw UsageError(fmt::format(
          "--vary {}: {}; give each value once{}", axis.spec,
          first == text ? fmt::format("{} is listed twice", text)
                        : fmt::format("{} and {} are the same value", first, text),
          respacing ? " (a respacing of several sections, such as 10,10,5, is one value when "
                      "the values are separated by ';')"
                    : ""));
    }
    seen.push_back(std::move(text));
    keys.push_back(std::move(key));
  }
}

}  // namespace

SweepAxis parse_vary(const std::string& spec) {
  const size_t eq = spec.find('=');
  if (eq == std::string::npos || eq == 0) {
    throw UsageError(
        fmt::format("--vary {}: expected FIELD=V1,V2,... (e.g. guidance_scale=1,3,5)", spec));
  }
  SweepAxis axis;
  axis.spec = spec;
  const std::string name = spec.substr(0, eq);
  axis.field = find_param_field(name);
  if (!axis.field) {
    throw UsageError(fmt::format("--vary {}: unknown parameter \"{}\"; expected one of: {}", spec,
                                 name, param_field_names()));
  }
  const std::string list = spec.substr(eq + 1);
  const char separator = list.find(';') != std::string::npos ? ';' : ',';
  for (size_t begin = 0;;) {
    const size_t end = list.find(separator, begin);
    axis.values.push_back(list.substr(begin, end - begin));
    if (end == std::string::npos) break;
    begin = end + 1;
  }
  if (list.empty()) throw UsageError(fmt::format("--vary {}: no values given", spec));
  for (const std::string& value : axis.values) {
    if (is_empty_respacing(*axis.field, value)) {
      throw UsageError(fmt::format("--vary {}: {}", spec, kEmptyRespacingAdvice));
    }
  }
  return axis;
}

std::vector<const GenerationParams*> cell_params(const std::vector<SweepCell>& cells) {
  std::vector<const GenerationParams*> params;
  params.reserve(cells.size());
  for (const SweepCell& cell : cells) params.push_back(&cell.params);
  return params;
}

SweepPlan plan_sweep(const GenerationParams& start, std::vector<SweepAxis> axes) {
  if (axes.empty() || axes.size() > kMaxSweepAxes) {
    throw UsageError(
        fmt::format("glide sweep takes 1 to {} --vary axes, not {}", kMaxSweepAxes, axes.size()));
  }
  int64_t cells = 1;
  for (size_t i = 0; i < axes.size(); ++i) {
    const SweepAxis& a = axes[i];
    if (a.field->name == "batch_size") {
      throw UsageError(
          fmt::format("--vary {}: a sweep makes one image per cell; batch_size "
                      "cannot be an axis",
                      a.spec));
    }
    for (size_t j = 0; j < i; ++j) {
      if (axes[j].field == a.field) {
        throw UsageError(fmt::format("--vary {} and --vary {} both set {}", axes[j].spec, a.spec,
                                     a.field->name));
      }
    }
    require_distinct_values(a, start);
    cells *= static_cast<int64_t>(a.values.size());
    if (cells > kMaxSweepCells) {
      throw UsageError(fmt::format("the --vary axes make more than {} cells", kMaxSweepCells));
    }
  }
  SweepPlan plan;
  plan.rows = static_cast<int64_t>(axes.front().values.size());
  plan.columns = cells / plan.rows;
  for (int64_t index = 0; index < cells; ++index) {
    SweepCell cell;
    cell.row = index / plan.columns;
    cell.column = index % plan.columns;
    cell.params = start;
    // The cell's position in each axis: a mixed-radix number, the last axis the fastest digit.
    int64_t rest = index;
    cell.values.resize(axes.size());
    for (size_t i = axes.size(); i-- > 0;) {
      const auto n = static_cast<int64_t>(axes[i].values.size());
      cell.values[i] = axes[i].values[static_cast<size_t>(rest % n)];
      rest /= n;
    }
    for (size_t i = 0; i < axes.size(); ++i) set_axis_value(axes[i], cell.params, cell.values[i]);
    plan.cells.push_back(std::move(cell));
  }
  // An axis that no cell reads (a guidance scale when no cell is guided, an upsampler setting
  // when none upsamples) would only repeat one image.
  const std::vector<const GenerationParams*> runs = cell_params(plan.cells);
  for (const SweepAxis& a : axes) {
    if (const auto why = unread_in_every_run(a.field->name, runs, true, true)) {
      throw UsageError(fmt::format("--vary {} would change nothing in any cell: {}", a.spec, *why));
    }
  }
  plan.axes = std::move(axes);
  return plan;
}

}  // namespace glide::cli
