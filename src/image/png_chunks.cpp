#include "image/png_chunks.hpp"

#include <fmt/format.h>
#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <cstring>

#include "glide/error.hpp"
#include "utf8.hpp"

namespace glide::image::detail {

const unsigned char kTextChunkNames[15] = {'t', 'E', 'X', 't', 0,   'z', 'T', 'X',
                                           't', 0,   'i', 'T', 'X', 't', 0};

namespace {

// What one text may inflate to, and all of a file's texts together. glide's records are a few
// kilobytes and it writes at most 8 MiB per text; more is a decompression bomb, not a caption.
constexpr size_t kMaxTextBytes = size_t{16} << 20;
constexpr size_t kMaxAllTextBytes = size_t{32} << 20;
// A chunk's length is at most 2^31 - 1 (PNG spec section 5.3).
constexpr uint32_t kMaxChunkLength = 0x7fffffffu;

const uint8_t kSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

uint32_t big_endian_32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

// A chunk type is four ASCII letters (PNG spec section 5.4).
bool is_chunk_type(const std::string& type) {
  return std::all_of(type.begin(), type.end(),
                     [](char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0; });
}

// iTXt's text as UTF-8 (PNG spec section 11.3.4.5 requires it, but a writer may not keep to
// it): each ill-formed byte becomes U+FFFD, so the text reaches callers (Python's str among
// them) as the UTF-8 load_png_info promises.
std::string utf8_or_replaced(const uint8_t* s, size_t n) {
  std::string out;
  out.reserve(n);
  for (size_t i = 0; i < n;) {
    const size_t length = utf8_sequence_length(s + i, n - i);
    if (length == 0) {
      out += "\xef\xbf\xbd";  // U+FFFD REPLACEMENT CHARACTER
      ++i;
    } else {
      out.append(reinterpret_cast<const char*>(s + i), length);
      i += length;
    }
  }
  return out;
}

std::string latin1_to_utf8(const uint8_t* s, size_t n) {
  std::string out;
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    const uint8_t c = s[i];
    if (c < 0x80) {
      out += static_cast<char>(c);
    } else {
      out += static_cast<char>(0xc0 | (c >> 6));
      out += static_cast<char>(0x80 | (c & 0x3f));
    }
  }
  return out;
}

struct Chunk {
  int index;
  size_t offset;  // of its length field in the file
  std::string type;
  const uint8_t* data;
  uint32_t length;
};

class HeaderReader {
 public:
  explicit HeaderReader(const std::string& what) : what_(what) {}

  [[noreturn]] void damaged(const std::string& problem) const {
    throw Error(Status::invalid_format, what_ + " is a damaged PNG file: " + problem);
  }

  [[noreturn]] void damaged(const Chunk& chunk, const std::string& problem) const {
    damaged(
        fmt::format("chunk {} ({}) at byte {} {}", chunk.index, chunk.type, chunk.offset, problem));
  }

  void check_crc(const Chunk& chunk) const {
    // A fuzzer's mutations would rarely get past the CRCs to the fields behind them.
#ifndef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
    uLong crc = crc32(0L, Z_NULL, 0);
    crc = crc32(crc, chunk.data - 4, chunk.length + 4);  // over the type and the data
    if (crc != big_endian_32(chunk.data + chunk.length)) damaged(chunk, "fails its CRC check");
#else
    (void)chunk;
#endif
  }

  void read_ihdr(const Chunk& chunk, PngHeader* header) const {
    if (chunk.length != 13) damaged(chunk, "is not 13 bytes long, as an IHDR chunk is");
    check_crc(chunk);
    header->width = big_endian_32(chunk.data);
    header->height = big_endian_32(chunk.data + 4);
    if (header->width == 0 || header->height == 0 || header->width > kMaxChunkLength ||
        header->height > kMaxChunkLength) {
      damaged(chunk, fmt::format("gives the image size {}x{}; each side must be 1 to 2^31 - 1",
                                 header->width, header->height));
    }
    // The bit depths each colour type allows, and the only methods defined (PNG spec 11.2.1).
    const int depth = chunk.data[8], colour = chunk.data[9];
    const bool depth_allowed =
        (colour == 0 && (depth == 1 || depth == 2 || depth == 4 || depth == 8 || depth == 16)) ||
        (colour == 3 && (depth == 1 || depth == 2 || depth == 4 || depth == 8)) ||
        ((colour == 2 || colour == 4 || colour == 6) && (depth == 8 || depth == 16));
    if (!depth_allowed) {
      damaged(chunk, fmt::format("gives colour type {} with bit depth {}, which PNG does not "
                                 "define",
                                 colour, depth));
    }
    if (chunk.data[10] != 0 || chunk.data[11] != 0 || chunk.data[12] > 1) {
      damaged(chunk, fmt::format("gives compression method {}, filter method {} and interlace "
                                 "method {}; PNG defines 0, 0 and 0 or 1",
                                 chunk.data[10], chunk.data[11], chunk.data[12]));
    }
  }

  // tEXt: keyword, NUL, Latin-1 text. zTXt: keyword, NUL, method 0, zlib stream of Latin-1 text.
  // iTXt: keyword, NUL, compressed flag, method 0, language, NUL, translated keyword, NUL, UTF-8
  // text (a zlib stream when flagged). PNG spec section 11.3.3.
  void read_text(const Chunk& chunk, PngHeader* header) {
    check_crc(chunk);
    const uint8_t* p = chunk.data;
    const uint8_t* const end = chunk.data + chunk.length;
    const auto field_end = [&](const uint8_t* from) {
      const auto* nul = static_cast<const uint8_t*>(std::memchr(from, 0, end - from));
      if (nul == nullptr) damaged(chunk, "is a text chunk with a field missing its NUL end");
      return nul;
    };
    const uint8_t* key_end = field_end(p);
    if (key_end == p || key_end - p > 79) {
      damaged(chunk, "is a text chunk whose keyword is not 1 to 79 bytes long");
    }
    const std::string key = latin1_to_utf8(p, key_end - p);
    p = key_end + 1;
    std::string value;
    if (chunk.type == "tEXt") {
      value = latin1_to_utf8(p, end - p);
    } else if (chunk.type == "zTXt") {
      if (p == end) damaged(chunk, "is a zTXt chunk that ends before its compression method");
      if (*p != 0) {
        damaged(chunk, fmt::format("names compression method {}; only zlib (0) is defined", *p));
      }
      const std::string latin1 = inflate(chunk, key, p + 1, end - (p + 1));
      value = latin1_to_utf8(reinterpret_cast<const uint8_t*>(latin1.data()), latin1.size());
    } else {  // iTXt
      if (end - p < 2) damaged(chunk, "is an iTXt chunk that ends before its compression fields");
      if (p[0] > 1)
        damaged(chunk, fmt::format("has the compression flag {}; expected 0 or 1", p[0]));
      if (p[1] != 0) {
        damaged(chunk, fmt::format("names compression method {}; only zlib (0) is defined", p[1]));
      }
      const bool compressed = p[0] == 1;
      p = field_end(field_end(p + 2) + 1) + 1;  // past the language and translated keyword
      const std::string text = compressed ? inflate(chunk, key, p, end - p)
                                          : std::string(reinterpret_cast<const char*>(p), end - p);
      value = utf8_or_replaced(reinterpret_cast<const uint8_t*>(text.data()), text.size());
    }
    count(chunk, key, value.size());
    const auto [it, added] = header->text.insert_or_assign(key, std::move(value));
    if (!added) header->repeated.insert(it->first);
  }

 private:
  void count(const Chunk& chunk, const std::string& key, size_t bytes) {
    all_text_ += bytes;
    if (bytes > kMaxTextBytes || all_text_ > kMaxAllTextBytes) {
      throw Error(Status::unsupported,
                  fmt::format("{} holds more text than glide reads: chunk {} ({} '{}') brings "
                              "it past {} MiB for one text or {} MiB in all",
                              what_, chunk.index, chunk.type, key, kMaxTextBytes >> 20,
                              kMaxAllTextBytes >> 20));
    }
  }

  // The zlib stream in [data, data + size), stopping as soon as it passes the budget left.
  std::string inflate(const Chunk& chunk, const std::string& key, const uint8_t* data,
                      size_t size) {
    const size_t limit = std::min(kMaxTextBytes, kMaxAllTextBytes - all_text_) + 1;
    z_stream stream{};
    if (inflateInit(&stream) != Z_OK) throw Error(Status::out_of_memory, "zlib could not start");
    struct End {
      z_stream* s;
      ~End() { inflateEnd(s); }
    } end{&stream};
    stream.next_in = const_cast<Bytef*>(data);
    stream.avail_in = static_cast<uInt>(size);  // a chunk is under 2^31 bytes
    std::string out;
    char buffer[1 << 16];
    for (;;) {
      stream.next_out = reinterpret_cast<Bytef*>(buffer);
      stream.avail_out = sizeof buffer;
      const int rc = ::inflate(&stream, Z_NO_FLUSH);
      out.append(buffer, sizeof buffer - stream.avail_out);
      if (out.size() >= limit) count(chunk, key, out.size());  // throws
      if (rc == Z_STREAM_END) {
        if (stream.avail_in != 0) {
          damaged(chunk, fmt::format("holds the text '{}', followed by {} bytes that are not part "
                                     "of its compressed data",
                                     key, stream.avail_in));
        }
        return out;
      }
      if (rc == Z_MEM_ERROR) throw Error(Status::out_of_memory, "out of memory inflating a text");
      if (rc != Z_OK) {
        damaged(chunk, fmt::format("holds the text '{}', whose compressed data {}", key,
                                   rc == Z_BUF_ERROR ? "ends early" : "is damaged"));
      }
    }
  }

  const std::string& what_;
  size_t all_text_ = 0;
};

}  // namespace

PngHeader read_png_header(const uint8_t* data, size_t size, const std::string& what) {
  if (data == nullptr || size < 8 || std::memcmp(data, kSignature, 8) != 0) {
    throw Error(Status::invalid_format,
                what + " is not a PNG file: it does not start with the PNG signature");
  }
  HeaderReader reader(what);
  PngHeader header;
  bool seen_image_data = false;
  size_t offset = 8;
  for (int index = 0;; ++index) {
    if (size - offset < 8) {
      reader.damaged(fmt::format("it ends at byte {} without an IEND chunk (truncated?)", size));
    }
    Chunk chunk{index, offset, std::string(reinterpret_cast<const char*>(data + offset + 4), 4),
                data + offset + 8, big_endian_32(data + offset)};
    const bool named = is_chunk_type(chunk.type);
    if (!named) chunk.type = "?";
    const uint64_t remaining = size - offset - 8;
    if (chunk.length > kMaxChunkLength || uint64_t{chunk.length} + 4 > remaining) {
      reader.damaged(chunk, fmt::format("declares {} bytes of data and a checksum, but only {} "
                                        "bytes follow",
                                        chunk.length, remaining));
    }
    if (!named) reader.damaged(chunk, "has a type that is not four ASCII letters");
    if ((index == 0) != (chunk.type == "IHDR")) {
      reader.damaged(chunk, index == 0 ? "is not IHDR, which must come first" : "repeats IHDR");
    }
    if (chunk.type == "IHDR") reader.read_ihdr(chunk, &header);
    if (chunk.type == "tEXt" || chunk.type == "zTXt" || chunk.type == "iTXt") {
      reader.read_text(chunk, &header);
    }
    if (chunk.type == "IDAT") seen_image_data = true;
    if (chunk.type == "IEND") {
      if (!seen_image_data) reader.damaged(chunk, "ends the file, which holds no IDAT chunk");
      return header;
    }
    offset += 8 + size_t{chunk.length} + 4;
  }
}

}  // namespace glide::image::detail
