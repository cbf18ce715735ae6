#pragma once

#include <csignal>

namespace glide::test {

// For a forked child that tests signals: SIGINT, SIGTERM and SIGHUP back to their default
// action. A shell starts background jobs (`ctest &`) with SIGINT ignored, and glide leaves a
// signal ignored at start ignored, so without this the tests would depend on how they were run.
inline void default_ending_signals() {
  for (const int signal : {SIGINT, SIGTERM, SIGHUP}) std::signal(signal, SIG_DFL);
}

}  // namespace glide::test
