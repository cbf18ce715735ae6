// printable(): what the CLI prints of file content and of error messages quoting it cannot
// drive the terminal or forge a line that passes for glide's own.
#include "core/printable.hpp"
#include "support/catch_torch.hpp"

using glide::printable;

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
