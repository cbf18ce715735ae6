#include "signals.hpp"

#include <signal.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <iterator>

#include "io/temp_file.hpp"

namespace glide::cli {
namespace {

using glide::io::detail::kEndingSignals;

// Whether each of kEndingSignals was ignored before glide installed anything: read once, on the
// first call, since afterwards the dispositions are glide's own.
bool ignored_from_start(int signal) {
  static const auto ignored = [] {
    std::array<bool, std::size(kEndingSignals)> by_index{};
    for (size_t i = 0; i < by_index.size(); ++i) {
      struct sigaction current {};
      by_index[i] =
          ::sigaction(kEndingSignals[i], nullptr, &current) == 0 && current.sa_handler == SIG_IGN;
    }
    return by_index;
  }();
  for (size_t i = 0; i < ignored.size(); ++i) {
    if (kEndingSignals[i] == signal) return ignored[i];
  }
  return false;
}

void install(int signal, void (*handler)(int)) {
  struct sigaction action {};
  action.sa_handler = handler;
  // As signal() does on glibc: a handler that returns (train's first Ctrl-C) does not turn slow
  // system calls under way into EINTR failures.
  action.sa_flags = SA_RESTART;
  // A second ending signal waits for the handler running: one undoing half its table and then
  // ending the process would leave the rest undone.
  sigemptyset(&action.sa_mask);
  for (const int other : kEndingSignals) sigaddset(&action.sa_mask, other);
  ::sigaction(signal, &action, nullptr);
}

}  // namespace

void end_by_signal(int signal) {
  std::fflush(stderr);
  install(signal, SIG_DFL);
  sigset_t only;
  sigemptyset(&only);
  sigaddset(&only, signal);
  ::pthread_sigmask(SIG_UNBLOCK, &only, nullptr);
  ::raise(signal);
  ::_exit(128 + signal);  // the signal was held off somehow: the same status a shell would show
}

void end_cleanly(int signal) {
  glide::io::detail::remove_unfinished_temp_files();
  // The default action, delivered once this handler returns (the signal is blocked until then),
  // so the process ends by the signal and its parent can tell.
  install(signal, SIG_DFL);
  ::raise(signal);
}

void handle_signal(int signal, void (*handler)(int)) {
  if (!ignored_from_start(signal)) install(signal, handler);
}

void end_cleanly_on_signals() {
  for (const int signal : kEndingSignals) handle_signal(signal, end_cleanly);
}

}  // namespace glide::cli
