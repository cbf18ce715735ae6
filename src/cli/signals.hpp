#pragma once

namespace glide::cli {

// Ctrl-C, SIGTERM and SIGHUP end glide as they would any program (a shell sees 128 + the
// signal), after removing the temporary files of outputs still being written: an interrupted
// save leaves neither half a file nor a stray `<name>.tmp-XXXXXX` beside it. Called first thing
// in main: a signal ignored then (nohup's SIGHUP, a background job's SIGINT) stays ignored, here
// and in handle_signal.
void end_cleanly_on_signals();

// The handler end_cleanly_on_signals installs, for commands that catch a first signal themselves
// and hand the next one back.
void end_cleanly(int signal);

// Installs `handler` for `signal` (SIGINT, SIGTERM or SIGHUP) unless the signal was ignored when
// glide started.
void handle_signal(int signal, void (*handler)(int));

// Ends the process by `signal`'s default action, as an uncaught signal would.
[[noreturn]] void end_by_signal(int signal);

}  // namespace glide::cli
