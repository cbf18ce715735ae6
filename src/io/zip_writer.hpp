#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <vector>

namespace glide::io::detail {

// Writes a zip archive laid out as PyTorch's writer lays out torch.save files: every record
// stored (uncompressed) with its CRC-32, its data starting at a multiple of 64 bytes (the local
// header padded with an extra field 'FB', as PyTorch pads it) so readers can map tensors in
// place, and zip64 fields wherever a size, offset or count reaches `zip64_from` (PKWARE's
// APPNOTE.TXT 4.3.9 and 4.5.3; the default is where the 32- and 16-bit fields run out, and tests
// lower it to exercise the zip64 paths on small archives).
class ZipWriter {
 public:
  using Sink = std::function<void(const void* data, size_t size)>;
  static constexpr uint64_t kAlignment = 64;

  explicit ZipWriter(Sink sink, uint64_t zip64_from = 0xffffffffu);

  // Appends one record; a repeated name is a glide::Error(invalid_argument).
  void add(const std::string& name, const void* data, uint64_t size);
  // Writes the central directory and the end records; nothing can be added afterwards.
  void finish();
  uint64_t bytes_written() const { return pos_; }

 private:
  struct Entry {
    std::string name;
    uint32_t crc32;
    uint64_t size;
    uint64_t offset;  // of the local header
  };
  void emit(const std::string& bytes);
  void emit(const void* data, uint64_t size);
  bool big(uint64_t v) const { return v >= zip64_from_; }

  Sink sink_;
  uint64_t zip64_from_;
  uint64_t pos_ = 0;
  std::vector<Entry> entries_;
  std::set<std::string> names_;
  bool finished_ = false;
};

}  // namespace glide::io::detail
