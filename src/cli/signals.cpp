#include "signals.hpp"

#include <csignal>

#include "io/temp_file.hpp"

namespace glide::cli {

void end_cleanly(int signal) {
  glide::io::detail::remove_unfinished_temp_files();
  // The default action, delivered once this handler returns (the signal is blocked until then),
  // so the process ends by the signal and its parent can tell.
  std::signal(signal, SIG_DFL);
  std::raise(signal);
}

void end_cleanly_on_signals() {
  for (const int signal : {SIGINT, SIGTERM, SIGHUP}) {
    // A signal someone chose to ignore (nohup's SIGHUP) stays ignored.
    if (std::signal(signal, end_cleanly) == SIG_IGN) std::signal(signal, SIG_IGN);
  }
}

}  // namespace glide::cli
