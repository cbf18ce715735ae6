// printable() and printable_message(): what the CLI prints of file content and of error
// messages quoting it cannot drive the terminal or pass for glide's own lines.
#include "printable.hpp"
#include "support/catch_torch.hpp"

using glide::cli::printable;
using glide::cli::printable_message;

TEST_CASE("printable escapes controls and bytes that are not UTF-8", "[cli]") {
  CHECK(printable("plain caf\xc3\xa9 \xf0\x9f\x90\xb6") == "plain caf\xc3\xa9 \xf0\x9f\x90\xb6");
  CHECK(printable("a\nb\tc\x1b[2J\x7f") == "a\\nb\\tc\\x1b[2J\\x7f");
  CHECK(printable(std::string("nul\0end", 7)) == "nul\\x00end");
  // C1 controls are characters too (U+009B is CSI, an escape sequence's start on some terminals).
  CHECK(printable("x\xc2\x9b"
                  "2J\xc2\x85") == "x\\u009b2J\\u0085");
  // Bytes that are not UTF-8: a stray continuation, a cut sequence, an overlong form.
  CHECK(printable("\x80 \xe2\x82 \xc0\xaf") == "\\x80 \\xe2\\x82 \\xc0\\xaf");
}

TEST_CASE("printable_message keeps a message's lines and indents them", "[cli]") {
  CHECK(printable_message("one line") == "one line");
  // A list the message makes keeps its indentation; a line from a file is indented, so it
  // cannot start with "glide:" as glide's own lines do.
  CHECK(printable_message("the state dict does not match:\n  missing: a\n  missing: b") ==
        "the state dict does not match:\n  missing: a\n  missing: b");
  CHECK(printable_message("bad name 'x\nglide: done' here\x1b") ==
        "bad name 'x\n  glide: done' here\\x1b");
}
