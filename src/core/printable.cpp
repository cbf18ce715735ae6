#include "core/printable.hpp"

#include <fmt/format.h>

#include <cstdint>

#include "image/utf8.hpp"

namespace glide {

std::string printable(std::string_view text) {
  const auto* bytes = reinterpret_cast<const uint8_t*>(text.data());
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    uint32_t code_point = 0;
    const size_t length = image::utf8_sequence_length(bytes + i, text.size() - i, &code_point);
    if (length == 0) {
      out += fmt::format("\\x{:02x}", bytes[i]);
      ++i;
      continue;
    }
    if (code_point == '\n') {
      out += "\\n";
    } else if (code_point == '\t') {
      out += "\\t";
    } else if (code_point < 0x20 || code_point == 0x7f) {
      out += fmt::format("\\x{:02x}", code_point);
    } else if (code_point >= 0x80 && code_point <= 0x9f) {  // C1 controls: CSI is 0x9b
      out += fmt::format("\\u{:04x}", code_point);
    } else {
      out.append(text.substr(i, length));
    }
    i += length;
  }
  return out;
}

}  // namespace glide
