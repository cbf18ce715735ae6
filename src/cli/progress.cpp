#include "progress.hpp"

#include <fmt/core.h>
#include <unistd.h>

#include <cstdio>

#include "core/printable.hpp"

namespace glide::cli {

ProgressReporter::ProgressReporter(bool quiet)
    : quiet_(quiet), terminal_(::isatty(::fileno(stderr)) == 1) {
  begin();
}

void ProgressReporter::begin(const std::string& prefix) {
  prefix_ = printable(prefix);  // a sweep cell's label quotes the user's values
  stage_start_ = std::chrono::steady_clock::now();
}

ProgressCallback ProgressReporter::callback() {
  if (quiet_) return {};
  return [this](const Progress& p) {
    report(p);
    return true;
  };
}

void ProgressReporter::note(const std::string& text) {
  if (!quiet_) fmt::print(stderr, "{}\n", printable(text));
}

void ProgressReporter::report(const Progress& p) {
  const auto now = std::chrono::steady_clock::now();
  const double seconds = std::chrono::duration<double>(now - stage_start_).count();
  const bool done = p.step >= p.total;
  if (terminal_) {
    constexpr int64_t kWidth = 30;
    const int64_t filled = p.total > 0 ? kWidth * p.step / p.total : kWidth;
    const double eta = p.step > 0 ? seconds / p.step * (p.total - p.step) : 0;
    fmt::print(stderr, "\r\033[K{}{:<17} [{}{}] {}/{}  {:.1f} s{}", prefix_, p.stage,
               std::string(filled, '#'), std::string(kWidth - filled, '.'), p.step, p.total,
               seconds, done ? "\n" : fmt::format(", ~{:.0f} s left", eta));
  } else if (done) {
    fmt::print(stderr, "{}{}: {} steps in {:.2f} s\n", prefix_, p.stage, p.total, seconds);
  }
  std::fflush(stderr);
  if (done) stage_start_ = now;
}

}  // namespace glide::cli
