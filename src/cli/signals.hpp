#pragma once

namespace glide::cli {

// Ctrl-C, SIGTERM and SIGHUP end glide as they would any program (a shell sees 128 + the
// signal), after removing the temporary files of outputs still being written: an interrupted
// save leaves neither half a file nor a stray `<name>.tmp-XXXXXX` beside it.
void end_cleanly_on_signals();

// The handler end_cleanly_on_signals installs, for commands that catch a first signal themselves
// and hand the next one back.
void end_cleanly(int signal);

}  // namespace glide::cli
