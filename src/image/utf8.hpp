#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace glide::image {

// The length of the well-formed UTF-8 sequence at the start of [p, p + n) (1 to 4), or 0 when
// it starts with an ill-formed one: overlong forms, surrogates and code points above U+10FFFF
// are ill-formed. `*code_point` receives the character when not null.
inline size_t utf8_sequence_length(const uint8_t* p, size_t n, uint32_t* code_point = nullptr) {
  if (n == 0) return 0;
  const uint8_t c = p[0];
  size_t len;
  uint32_t cp;
  if (c < 0x80) {
    len = 1;
    cp = c;
  } else if (c >= 0xc2 && c <= 0xdf) {
    len = 2;
    cp = c & 0x1f;
  } else if (c >= 0xe0 && c <= 0xef) {
    len = 3;
    cp = c & 0x0f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    len = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (n < len) return 0;
  for (size_t k = 1; k < len; ++k) {
    if ((p[k] & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (p[k] & 0x3f);
  }
  const uint32_t min = len == 1 ? 0 : len == 2 ? 0x80 : len == 3 ? 0x800 : 0x10000;
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  if (code_point != nullptr) *code_point = cp;
  return len;
}

// The byte offset where the first ill-formed UTF-8 sequence starts, or npos when all of `s` is
// UTF-8.
inline size_t utf8_error_offset(const std::string& s) {
  const auto* p = reinterpret_cast<const uint8_t*>(s.data());
  for (size_t i = 0; i < s.size();) {
    const size_t len = utf8_sequence_length(p + i, s.size() - i);
    if (len == 0) return i;
    i += len;
  }
  return std::string::npos;
}

}  // namespace glide::image
