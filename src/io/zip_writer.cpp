#include "io/zip_writer.hpp"

#include <algorithm>

#include "glide/error.hpp"
#include "io/zip_format.hpp"
#include "io/zip_index.hpp"

namespace glide::io::detail {
namespace {

using namespace zip;  // the record signatures (io/zip_format.hpp)

// Field layouts from PKWARE's APPNOTE.TXT (4.3.7, 4.3.12, 4.3.14-16, 4.5.3).
constexpr uint16_t kPaddingExtraId = 0x4246;  // "FB", what PyTorch's writer pads with
constexpr uint16_t kVersion = 20;             // 2.0: stored files in folders
constexpr uint16_t kVersionZip64 = 45;        // 4.5: zip64 extensions
constexpr uint16_t kUtf8Names = 1 << 11;
constexpr uint16_t kDosDate = (0 << 9) | (1 << 5) | 1;  // 1980-01-01, so output is reproducible
constexpr uint32_t kMax32 = 0xffffffffu;
constexpr uint16_t kMax16 = 0xffff;

void put(std::string& s, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) s.push_back(static_cast<char>(v >> (8 * i)));
}

}  // namespace

ZipWriter::ZipWriter(Sink sink, uint64_t zip64_from)
    : sink_(std::move(sink)), zip64_from_(std::min<uint64_t>(zip64_from, kMax32)) {}

void ZipWriter::emit(const void* data, uint64_t size) {
  if (size == 0) return;
  sink_(data, size);
  pos_ += size;
}

void ZipWriter::emit(const std::string& bytes) {
  emit(bytes.data(), bytes.size());
}

void ZipWriter::add(const std::string& name, const void* data, uint64_t size) {
  if (finished_) throw Error(Status::internal, "zip record '" + name + "' added after finish()");
  if (name.empty() || name.size() > kMax16) {
    throw Error(Status::invalid_argument,
                "a zip record name must have 1 to 65535 bytes: '" + name + "'");
  }
  if (!names_.insert(name).second) {
    throw Error(Status::invalid_argument, "zip record '" + name + "' written twice");
  }
  const uint32_t crc = crc32(static_cast<const uint8_t*>(data), size);
  const bool zip64 = big(size);

  // The local header, its zip64 sizes (both, as 4.5.3 requires there), then padding so the
  // data starts on a 64-byte boundary.
  const size_t zip64_extra = zip64 ? 4 + 16 : 0;
  const uint64_t unpadded = pos_ + kLocalHeaderSize + name.size() + zip64_extra + 4;
  const size_t padding = static_cast<size_t>((kAlignment - unpadded % kAlignment) % kAlignment);
  std::string h;
  put(h, kLocalHeaderSig, 4);
  put(h, zip64 ? kVersionZip64 : kVersion, 2);
  put(h, kUtf8Names, 2);
  put(h, 0, 2);  // stored
  put(h, 0, 2);  // time
  put(h, kDosDate, 2);
  put(h, crc, 4);
  put(h, zip64 ? kMax32 : size, 4);  // compressed size
  put(h, zip64 ? kMax32 : size, 4);
  put(h, name.size(), 2);
  put(h, zip64_extra + 4 + padding, 2);
  h += name;
  if (zip64) {
    put(h, kZip64ExtraId, 2);
    put(h, 16, 2);
    put(h, size, 8);
    put(h, size, 8);
  }
  put(h, kPaddingExtraId, 2);
  put(h, padding, 2);
  h.append(padding, 'Z');

  entries_.push_back({name, crc, size, pos_});
  emit(h);
  emit(data, size);
}

void ZipWriter::finish() {
  if (finished_) return;
  finished_ = true;
  const uint64_t dir_offset = pos_;
  for (const Entry& e : entries_) {
    const bool big_size = big(e.size);
    const bool big_offset = big(e.offset);
    const size_t extra =
        big_size || big_offset ? 4 + (big_size ? 16 : 0) + (big_offset ? 8 : 0) : 0;
    std::string c;
    put(c, kCentralHeaderSig, 4);
    put(c, kVersionZip64, 2);  // made by (MS-DOS attributes, all zero)
    put(c, extra ? kVersionZip64 : kVersion, 2);
    put(c, kUtf8Names, 2);
    put(c, 0, 2);  // stored
    put(c, 0, 2);  // time
    put(c, kDosDate, 2);
    put(c, e.crc32, 4);
    put(c, big_size ? kMax32 : e.size, 4);  // compressed size
    put(c, big_size ? kMax32 : e.size, 4);
    put(c, e.name.size(), 2);
    put(c, extra, 2);
    put(c, 0, 2);  // comment length
    put(c, 0, 2);  // disk number
    put(c, 0, 2);  // internal attributes
    put(c, 0, 4);  // external attributes
    put(c, big_offset ? kMax32 : e.offset, 4);
    c += e.name;
    if (extra) {
      // Only the fields set to 0xFFFFFFFF above, in this order (4.5.3).
      put(c, kZip64ExtraId, 2);
      put(c, extra - 4, 2);
      if (big_size) {
        put(c, e.size, 8);
        put(c, e.size, 8);
      }
      if (big_offset) put(c, e.offset, 8);
    }
    emit(c);
  }
  const uint64_t dir_size = pos_ - dir_offset;
  const uint64_t count = entries_.size();
  const bool big_count = count >= std::min<uint64_t>(kMax16, zip64_from_);
  const bool zip64 = big_count || big(dir_size) || big(dir_offset);

  std::string end;
  if (zip64) {
    const uint64_t end64 = pos_;
    put(end, kEnd64Sig, 4);
    put(end, 44, 8);  // size of the rest of this record
    put(end, kVersionZip64, 2);
    put(end, kVersionZip64, 2);
    put(end, 0, 4);  // this disk
    put(end, 0, 4);  // the disk holding the directory
    put(end, count, 8);
    put(end, count, 8);
    put(end, dir_size, 8);
    put(end, dir_offset, 8);
    put(end, kEnd64LocatorSig, 4);
    put(end, 0, 4);  // the disk holding the zip64 end record
    put(end, end64, 8);
    put(end, 1, 4);  // disks in all
  }
  put(end, kEndSig, 4);
  put(end, 0, 2);
  put(end, 0, 2);
  put(end, big_count ? kMax16 : count, 2);
  put(end, big_count ? kMax16 : count, 2);
  put(end, big(dir_size) ? kMax32 : dir_size, 4);
  put(end, big(dir_offset) ? kMax32 : dir_offset, 4);
  put(end, 0, 2);  // comment length
  emit(end);
}

}  // namespace glide::io::detail
