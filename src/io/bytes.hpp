#pragma once

#include <cstdint>

namespace glide::io::detail {

// An unsigned little-endian integer of `bytes` (1 to 8) bytes.
inline uint64_t read_le(const uint8_t* p, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

}  // namespace glide::io::detail
