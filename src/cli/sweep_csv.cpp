#include "sweep_csv.hpp"

#include <fmt/format.h>

#include <cstdlib>

namespace glide::cli {

namespace {

bool is_number(const std::string& text) {
  char* end = nullptr;
  std::strtod(text.c_str(), &end);
  return !text.empty() && end == text.c_str() + text.size();
}

}  // namespace

std::string csv_field(const std::string& raw) {
  // Spreadsheets run a cell that starts with = + - @ as a formula (a prompt such as
  // "=HYPERLINK(...)" would); such text is kept as text by a leading apostrophe (OWASP's CSV
  // injection advice). Numbers such as -0.5 stay numbers.
  const bool formula_like =
      !raw.empty() && std::string("=+-@\t\r").find(raw.front()) != std::string::npos;
  const std::string text = formula_like && !is_number(raw) ? "'" + raw : raw;
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string quoted = "\"";
  for (const char c : text) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

std::string csv_line(const std::vector<std::string>& fields) {
  std::string line;
  for (size_t i = 0; i < fields.size(); ++i) line += (i ? "," : "") + csv_field(fields[i]);
  return line + "\n";
}

std::vector<std::string> sweep_csv_header() {
  std::vector<std::string> h = {"cell", "row", "column"};
  for (const ParamField& f : param_fields()) h.push_back(f.name == "prompts" ? "prompt" : f.name);
  for (const char* s : {"seconds", "mean_r", "mean_g", "mean_b", "mean_luminance", "contrast",
                        "saturation", "sharpness", "width", "height", "error"}) {
    h.emplace_back(s);
  }
  return h;
}

std::vector<std::string> sweep_csv_row(int64_t index, const SweepCell& cell, double seconds,
                                       const image::ImageStats* stats, int64_t width,
                                       int64_t height, const std::string& error) {
  std::vector<std::string> r = {std::to_string(index), std::to_string(cell.row),
                                std::to_string(cell.column)};
  for (const ParamField& f : param_fields()) r.push_back(field_text(f, cell.params));
  r.push_back(fmt::format("{:.3f}", seconds));
  const auto number = [&](double v) { return stats ? fmt::format("{:.6g}", v) : std::string(); };
  const image::ImageStats none{};
  const image::ImageStats& s = stats ? *stats : none;
  for (double m : s.mean_rgb) r.push_back(number(m));
  r.push_back(number(s.mean_luminance));
  r.push_back(number(s.contrast));
  r.push_back(number(s.saturation));
  r.push_back(number(s.sharpness));
  r.push_back(std::to_string(width));
  r.push_back(std::to_string(height));
  r.push_back(error);
  return r;
}

}  // namespace glide::cli
