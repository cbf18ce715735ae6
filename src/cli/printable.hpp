#pragma once

#include <string>
#include <string_view>

namespace glide::cli {

// Text from a file or a message quoting one, safe to print on a terminal: control characters
// (an escape sequence could rewrite the screen; a newline would forge a line) are shown as \n,
// \t or \xNN, C1 controls as \u0080..\u009f, and bytes that are not UTF-8 as \xNN.
std::string printable(std::string_view text);

// An error message, the same but for its line breaks, which some messages use for lists (the
// tensors a checkpoint lacks): they are kept, and every line after the first is indented, so no
// line of a message can pass for one of glide's own ("glide: ...").
std::string printable_message(std::string_view message);

}  // namespace glide::cli
