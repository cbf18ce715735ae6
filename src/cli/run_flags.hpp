#pragma once

// --threads and --quiet, which every generating command takes.
#include <CLI/CLI.hpp>

#include "glide/runtime.hpp"

namespace glide::cli {

struct RunFlags {
  int threads = 0;  // 0: every core ($GLIDE_NUM_THREADS)
  bool quiet = false;
};

inline void add_run_flags(CLI::App* cmd, RunFlags& flags) {
  cmd->add_option("--threads", flags.threads,
                  "CPU threads for LibTorch; 0 uses every core (or $GLIDE_NUM_THREADS)")
      ->check(CLI::Range(0, 1024))
      ->group("Output");
  cmd->add_flag("-q,--quiet", flags.quiet, "No progress on stderr")->group("Output");
}

inline void apply_threads(const RunFlags& flags) {
  if (flags.threads > 0) {
    set_num_threads(flags.threads);
  } else {
    ensure_threads();
  }
}

}  // namespace glide::cli
