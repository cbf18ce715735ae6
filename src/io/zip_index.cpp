#include "io/zip_index.hpp"

#include <algorithm>
#include <array>
#include <cstring>

#include "glide/error.hpp"
#include "io/bytes.hpp"
#include "io/zip_format.hpp"

namespace glide::io::detail {

namespace {

using namespace zip;  // the record signatures (io/zip_format.hpp)

// Fixed sizes from PKWARE's APPNOTE.TXT (sections 4.3.7, 4.3.12, 4.3.14-16).
constexpr size_t kCentralHeaderSize = 46;
constexpr size_t kEndSize = 22;
constexpr size_t kEnd64Size = 56;
constexpr size_t kEnd64LocatorSize = 20;
// Deflate cannot expand data by more than about 1032:1.
constexpr uint64_t kMaxDeflateRatio = 1032;

class Reader {
 public:
  Reader(const uint8_t* data, size_t size, const std::string& what)
      : data_(data), size_(size), what_(what) {}

  [[noreturn]] void fail(const std::string& problem) const {
    throw Error(Status::invalid_format, what_ + ": not a valid zip archive: " + problem);
  }
  // Whether [offset, offset + n) lies inside the buffer.
  bool fits(uint64_t offset, uint64_t n) const { return offset <= size_ && n <= size_ - offset; }
  uint64_t le(uint64_t offset, int bytes) const {
    if (!fits(offset, bytes)) fail("a header runs past the end of the file (truncated?)");
    return read_le(data_ + offset, bytes);
  }
  const uint8_t* at(uint64_t offset) const { return data_ + offset; }
  size_t size() const { return size_; }

 private:
  const uint8_t* data_;
  size_t size_;
  const std::string& what_;
};

size_t find_end_record(const Reader& r) {
  if (r.size() < kEndSize) r.fail("the file is shorter than a zip end record (truncated?)");
  const size_t lowest = r.size() > kEndSize + 0xffff ? r.size() - kEndSize - 0xffff : 0;
  for (size_t pos = r.size() - kEndSize + 1; pos-- > lowest;) {
    if (read_le(r.at(pos), 4) == kEndSig && pos + kEndSize + r.le(pos + 20, 2) <= r.size()) {
      return pos;
    }
  }
  r.fail("no end-of-central-directory record (truncated?)");
}

// Applies the zip64 extended-information field to the values stored as 0xFFFFFFFF.
void apply_zip64_extra(const Reader& r, uint64_t extra, uint64_t extra_len, uint64_t& size,
                       uint64_t& compressed_size, uint64_t& local_offset) {
  uint64_t pos = extra;
  const uint64_t end = extra + extra_len;
  while (pos + 4 <= end) {
    const auto id = r.le(pos, 2);
    const auto len = r.le(pos + 2, 2);
    const uint64_t body = pos + 4;
    if (body + len > end) r.fail("a zip64 extra field runs past its entry");
    if (id == kZip64ExtraId) {
      uint64_t field = body;
      for (uint64_t* v : {&size, &compressed_size, &local_offset}) {
        if (*v != 0xffffffffu) continue;
        if (field + 8 > body + len) r.fail("a zip64 extra field is too short");
        *v = r.le(field, 8);
        field += 8;
      }
      return;
    }
    pos = body + len;
  }
}

}  // namespace

uint32_t crc32(const uint8_t* data, size_t size) {
  static const auto table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  uint32_t c = 0xffffffffu;
  for (size_t i = 0; i < size; ++i) c = table[(c ^ data[i]) & 0xff] ^ (c >> 8);
  return c ^ 0xffffffffu;
}

ZipIndex ZipIndex::parse(const uint8_t* data, size_t size, const std::string& what) {
  const Reader r(data, size, what);
  const size_t end = find_end_record(r);
  uint64_t count = r.le(end + 10, 2);
  uint64_t dir_size = r.le(end + 12, 4);
  uint64_t dir_offset = r.le(end + 16, 4);
  if (count == 0xffff || dir_size == 0xffffffffu || dir_offset == 0xffffffffu) {
    if (end < kEnd64LocatorSize || r.le(end - kEnd64LocatorSize, 4) != kEnd64LocatorSig) {
      r.fail("zip64 end record locator missing");
    }
    const uint64_t end64 = r.le(end - kEnd64LocatorSize + 8, 8);
    if (!r.fits(end64, kEnd64Size) || r.le(end64, 4) != kEnd64Sig) {
      r.fail("zip64 end record missing");
    }
    count = r.le(end64 + 32, 8);
    dir_size = r.le(end64 + 40, 8);
    dir_offset = r.le(end64 + 48, 8);
  }
  if (!r.fits(dir_offset, dir_size)) r.fail("the central directory lies outside the file");
  if (count > dir_size / kCentralHeaderSize) {
    r.fail("the central directory is too small for its " + std::to_string(count) + " entries");
  }

  ZipIndex index;
  index.entries_.reserve(count);
  uint64_t pos = dir_offset;
  const uint64_t dir_end = dir_offset + dir_size;
  for (uint64_t i = 0; i < count; ++i) {
    if (pos + kCentralHeaderSize > dir_end || r.le(pos, 4) != kCentralHeaderSig) {
      r.fail("central directory entry " + std::to_string(i) + " is damaged");
    }
    ZipEntry e;
    e.method = static_cast<uint16_t>(r.le(pos + 10, 2));
    e.crc32 = static_cast<uint32_t>(r.le(pos + 16, 4));
    e.compressed_size = r.le(pos + 20, 4);
    e.size = r.le(pos + 24, 4);
    const uint64_t name_len = r.le(pos + 28, 2);
    const uint64_t extra_len = r.le(pos + 30, 2);
    const uint64_t comment_len = r.le(pos + 32, 2);
    uint64_t local = r.le(pos + 42, 4);
    const uint64_t name_at = pos + kCentralHeaderSize;
    if (name_at + name_len + extra_len + comment_len > dir_end) {
      r.fail("central directory entry " + std::to_string(i) + " runs past the directory");
    }
    e.name.assign(reinterpret_cast<const char*>(r.at(name_at)), name_len);
    apply_zip64_extra(r, name_at + name_len, extra_len, e.size, e.compressed_size, local);
    pos = name_at + name_len + extra_len + comment_len;

    const std::string entry = "record '" + e.name + "'";
    if (!r.fits(local, kLocalHeaderSize) || r.le(local, 4) != kLocalHeaderSig) {
      r.fail(entry + " has no local header where the directory says");
    }
    const uint64_t local_name_len = r.le(local + 26, 2);
    const uint64_t local_extra_len = r.le(local + 28, 2);
    e.data_offset = local + kLocalHeaderSize + local_name_len + local_extra_len;
    // Compared as bytes: a name's UTF-8 bytes above 0x7F are negative as char, never equal to
    // the unsigned bytes of the file (which made every non-ASCII archive name unreadable).
    if (local_name_len != name_len || !r.fits(local + kLocalHeaderSize, name_len) ||
        std::memcmp(e.name.data(), r.at(local + kLocalHeaderSize), name_len) != 0) {
      r.fail(entry + ": its local header names another file");
    }
    if (!r.fits(e.data_offset, e.compressed_size)) {
      r.fail(entry + " runs past the end of the file (truncated?)");
    }
    const bool plausible = e.stored() ? e.size == e.compressed_size
                                      : e.size / kMaxDeflateRatio <= e.compressed_size + 1;
    if (!plausible) {
      r.fail(entry + " declares " + std::to_string(e.size) + " bytes from " +
             std::to_string(e.compressed_size) + " stored bytes");
    }
    if (!index.by_name_.emplace(e.name, index.entries_.size()).second) {
      r.fail(entry + " appears twice");
    }
    index.entries_.push_back(std::move(e));
  }
  return index;
}

const ZipEntry* ZipIndex::find(const std::string& name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : &entries_[it->second];
}

}  // namespace glide::io::detail
