#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace glide::io::detail {

struct ZipEntry {
  std::string name;
  uint16_t method = 0;  // 0 stored, 8 deflated
  uint32_t crc32 = 0;
  uint64_t compressed_size = 0;
  uint64_t size = 0;         // uncompressed
  uint64_t data_offset = 0;  // of the (possibly compressed) bytes in the archive

  bool stored() const { return method == 0; }
};

// CRC-32 as zip computes it (ISO 3309, reflected polynomial 0xEDB88320).
uint32_t crc32(const uint8_t* data, size_t size);

// The central directory of a zip archive held in memory, checked before anything trusts it:
// every entry's local header and data lie inside the buffer, and no entry declares an
// uncompressed size that its compressed bytes could not produce (so no reader is led into a
// huge allocation). Handles zip64. Throws glide::Error(invalid_format) naming `what`.
class ZipIndex {
 public:
  static ZipIndex parse(const uint8_t* data, size_t size, const std::string& what);

  const std::vector<ZipEntry>& entries() const { return entries_; }
  const ZipEntry* find(const std::string& name) const;

 private:
  std::vector<ZipEntry> entries_;
  std::map<std::string, size_t> by_name_;
};

}  // namespace glide::io::detail
