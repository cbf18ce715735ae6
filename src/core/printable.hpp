#pragma once

#include <string>
#include <string_view>

namespace glide {

// Text from a file or a message quoting one (glide's messages are one line; any line break in
// one came from a file or a name), safe to print on a terminal and valid UTF-8 (the CLI prints
// its messages through it, the C API stores them so): control characters (an escape sequence
// could rewrite the screen; a newline would forge a line) are shown as \n, \t or \xNN, C1
// controls as \u0080..\u009f, and bytes that are not UTF-8 as \xNN.
std::string printable(std::string_view text);

}  // namespace glide
