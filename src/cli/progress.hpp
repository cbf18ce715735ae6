#pragma once

// Progress on stderr: a bar redrawn in place when stderr is a terminal, one plain line per
// finished stage otherwise (logs, pipes), nothing with --quiet.
#include <chrono>
#include <string>

#include "glide/pipeline/guided_sampler.hpp"

namespace glide::cli {

class ProgressReporter {
 public:
  explicit ProgressReporter(bool quiet);

  // Text put before each report, e.g. "cell 3/12 "; also restarts the stage clock.
  void begin(const std::string& prefix = "");
  ProgressCallback callback();
  // A line of its own (not with --quiet).
  void note(const std::string& text);
  bool quiet() const { return quiet_; }

 private:
  void report(const Progress& p);

  bool quiet_;
  bool terminal_;
  std::string prefix_;
  std::chrono::steady_clock::time_point stage_start_;
};

}  // namespace glide::cli
