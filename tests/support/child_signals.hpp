#pragma once

#include <csignal>

#include "io/temp_file.hpp"

namespace glide::test {

// For a forked child that tests signals: the ending ones (SIGINT, SIGTERM, SIGHUP) back to their
// default action. A shell starts background jobs (`ctest &`) with SIGINT ignored, and glide leaves
// a signal ignored at start ignored, so without this the tests would depend on how they were run.
inline void default_ending_signals() {
  for (const int signal : glide::io::detail::kEndingSignals) std::signal(signal, SIG_DFL);
}

}  // namespace glide::test
