#include "glide/image/png.hpp"

#include <fmt/format.h>
#include <png.h>

#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "glide/error.hpp"
#include "glide/io/files.hpp"
#include "image/png_chunks.hpp"
#include "image/utf8.hpp"

namespace glide::image {
namespace {

// The most one chunk libpng reads may take once decompressed (an ICC profile, iCCP, is at most
// a few hundred kilobytes; texts are read by png_chunks.cpp).
constexpr png_alloc_size_t kMaxChunkBytes = png_alloc_size_t{16} << 20;
// The longest text glide writes: well under the 16 MiB it reads back, and many PNG readers drop
// a larger one silently.
constexpr size_t kMaxWrittenTextBytes = size_t{8} << 20;
// Values longer than this are written compressed (zTXt, or compressed iTXt).
constexpr size_t kCompressTextAbove = 1024;

// libpng reports errors through a callback that must not return; it jumps back to the setjmp
// in encode_into/decode_into, which only hold trivially destructible locals.
struct ErrorSlot {
  char message[256] = {0};
};

[[noreturn]] void on_error(png_structp png, png_const_charp message) {
  auto* slot = static_cast<ErrorSlot*>(png_get_error_ptr(png));
  std::snprintf(slot->message, sizeof slot->message, "%s", message ? message : "libpng error");
  png_longjmp(png, 1);
}

void on_warning(png_structp, png_const_charp) {}

// ---- Writing ---------------------------------------------------------------------------------

struct Sink {
  std::string* bytes;
};

void write_to_memory(png_structp png, png_bytep data, size_t n) {
  auto* sink = static_cast<Sink*>(png_get_io_ptr(png));
  bool failed = false;
  try {
    sink->bytes->append(reinterpret_cast<const char*>(data), n);
  } catch (...) {
    failed = true;
  }
  if (failed) png_error(png, "out of memory");  // outside the handler: png_error jumps
}

void flush_nothing(png_structp) {}

struct WriteStruct {
  explicit WriteStruct(ErrorSlot* slot) {
    png = png_create_write_struct(PNG_LIBPNG_VER_STRING, slot, on_error, on_warning);
    if (png) info = png_create_info_struct(png);
    if (!png || !info) throw Error(Status::out_of_memory, "libpng could not start a PNG writer");
  }
  ~WriteStruct() { png_destroy_write_struct(&png, &info); }
  WriteStruct(const WriteStruct&) = delete;
  WriteStruct& operator=(const WriteStruct&) = delete;
  png_structp png = nullptr;
  png_infop info = nullptr;
};

// False after a libpng error, whose message is in the error slot.
bool encode_into(png_structp png, png_infop info, png_uint_32 width, png_uint_32 height,
                 png_bytepp rows, png_textp texts, int text_count, Sink* sink) {
  if (setjmp(png_jmpbuf(png))) return false;
  png_set_write_fn(png, sink, write_to_memory, flush_nothing);
  png_set_IHDR(png, info, width, height, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  if (text_count > 0) png_set_text(png, info, texts, text_count);
  png_write_info(png, info);
  png_write_image(png, rows);
  png_write_end(png, info);
  return true;
}

void check_keyword(const std::string& key) {
  std::string problem;
  if (key.empty() || key.size() > 79) {
    problem = "must have 1 to 79 characters";
  } else if (key.front() == ' ' || key.back() == ' ' || key.find("  ") != std::string::npos) {
    problem = "must not start or end with a space or hold two spaces in a row";
  } else {
    for (const char c : key) {
      if (c < 0x20 || c > 0x7e) problem = "must be printable ASCII";
    }
  }
  if (!problem.empty()) {
    throw Error(Status::invalid_argument, "PNG text keyword '" + key + "' " + problem);
  }
}

void check_value(const std::string& key, const std::string& value) {
  if (value.size() > kMaxWrittenTextBytes) {
    throw Error(Status::invalid_argument,
                fmt::format("PNG text '{}' is {} bytes; glide writes at most {} MiB per text, as "
                            "larger ones are dropped by PNG readers",
                            key, value.size(), kMaxWrittenTextBytes >> 20));
  }
  if (value.find('\0') != std::string::npos) {
    throw Error(Status::invalid_argument, "PNG text '" + key + "' holds a NUL character");
  }
  const size_t bad = utf8_error_offset(value);
  if (bad != std::string::npos) {
    throw Error(Status::invalid_argument,
                "PNG text '" + key + "' is not UTF-8 (at byte offset " + std::to_string(bad) + ")");
  }
}

bool is_ascii(const std::string& s) {
  for (const char c : s) {
    if (static_cast<unsigned char>(c) > 0x7f) return false;
  }
  return true;
}

// ---- Reading ---------------------------------------------------------------------------------

struct Source {
  const uint8_t* data;
  size_t size;
  size_t offset;
};

void read_from_memory(png_structp png, png_bytep out, size_t n) {
  auto* src = static_cast<Source*>(png_get_io_ptr(png));
  if (n > src->size - src->offset) png_error(png, "the data ends early");
  std::memcpy(out, src->data + src->offset, n);
  src->offset += n;
}

struct ReadStruct {
  explicit ReadStruct(ErrorSlot* slot) {
    png = png_create_read_struct(PNG_LIBPNG_VER_STRING, slot, on_error, on_warning);
    if (png) info = png_create_info_struct(png);
    if (!png || !info) throw Error(Status::out_of_memory, "libpng could not start a PNG reader");
  }
  ~ReadStruct() { png_destroy_read_struct(&png, &info, nullptr); }
  ReadStruct(const ReadStruct&) = delete;
  ReadStruct& operator=(const ReadStruct&) = delete;
  png_structp png = nullptr;
  png_infop info = nullptr;
};

// Replaces the width * height palette indices at the start of `pixels` by their colours, last
// pixel first, so that no index is written over before it is read (pixel k's colour starts at
// 3k >= k). False, with the message in `slot`, for an index past the palette's entries.
bool expand_palette(uint8_t* pixels, png_uint_32 width, png_uint_32 height,
                    const png_color* palette, int entries, ErrorSlot* slot) {
  for (size_t k = size_t{width} * height; k-- > 0;) {
    const int index = pixels[k];
    if (index >= entries) {
      std::snprintf(slot->message, sizeof slot->message,
                    "pixel (%zu, %zu) uses palette index %d, but the palette has %d entries",
                    k % width, k / width, index, entries);
      return false;
    }
    pixels[3 * k] = palette[index].red;
    pixels[3 * k + 1] = palette[index].green;
    pixels[3 * k + 2] = palette[index].blue;
  }
  return true;
}

// False after a libpng error. Throws glide::Error for an image too large to read.
bool decode_into(png_structp png, png_infop info, Source* src, const std::string* what,
                 PngImage* out, std::vector<png_bytep>* rows) {
  if (setjmp(png_jmpbuf(png))) return false;
  png_set_read_fn(png, src, read_from_memory);
  png_read_info(png, info);
  const png_uint_32 width = png_get_image_width(png, info);
  const png_uint_32 height = png_get_image_height(png, info);
  if (width > kMaxImageSide || height > kMaxImageSide) {
    throw Error(Status::unsupported,
                fmt::format("{} is {}x{} (H x W) pixels; glide reads PNGs of at most {} pixels a "
                            "side",
                            *what, height, width, kMaxImageSide));
  }
  png_colorp palette = nullptr;
  int palette_entries = 0;
  const bool paletted = png_get_color_type(png, info) == PNG_COLOR_TYPE_PALETTE &&
                        png_get_PLTE(png, info, &palette, &palette_entries) != 0;
  if (paletted) {
    // Indices are looked up here: libpng reads one past the palette as black, without an error.
    png_set_packing(png);  // 1-, 2- and 4-bit indices to one byte each
  } else {
    png_set_expand(png);  // gray below 8 bits → 8 bits, tRNS → alpha
    png_set_scale_16(png);
    png_set_strip_alpha(png);
    png_set_gray_to_rgb(png);
  }
  png_set_interlace_handling(png);
  png_read_update_info(png, info);
  const size_t row_bytes = size_t{width} * (paletted ? 1 : 3);
  if (png_get_rowbytes(png, info) != row_bytes) png_error(png, "unexpected row size");
  out->pixels = torch::empty({int64_t{height}, int64_t{width}, 3}, torch::kUInt8);
  rows->resize(height);
  auto* base = out->pixels.data_ptr<uint8_t>();
  for (png_uint_32 r = 0; r < height; ++r) (*rows)[r] = base + size_t{r} * row_bytes;
  png_read_image(png, rows->data());
  if (paletted && !expand_palette(base, width, height, palette, palette_entries,
                                  static_cast<ErrorSlot*>(png_get_error_ptr(png)))) {
    return false;
  }
  png_read_end(png, info);  // text chunks after the image data
  return true;
}

}  // namespace

void check_png_text(const PngText& text) {
  for (const auto& [key, value] : text) {
    check_keyword(key);
    check_value(key, value);
  }
}

std::string encode_png(const torch::Tensor& image, const PngText& text) {
  if (image.scalar_type() != torch::kUInt8 || image.dim() != 3 || image.size(2) != 3) {
    throw Error(Status::invalid_argument, "a PNG image must be uint8 (H, W, 3), not " +
                                              std::string(c10::toString(image.scalar_type())) +
                                              " of shape " + c10::str(image.sizes()));
  }
  if (image.size(0) < 1 || image.size(1) < 1 || image.size(0) > PNG_USER_HEIGHT_MAX ||
      image.size(1) > PNG_USER_WIDTH_MAX) {
    throw Error(Status::invalid_argument,
                "a PNG image must have 1 to 1000000 rows and columns, "
                "not " +
                    c10::str(image.sizes()));
  }
  // libpng takes mutable strings; these copies outlive the png_text array pointing at them.
  std::vector<std::string> keys, values;
  std::vector<png_text> texts(text.size());
  keys.reserve(text.size());
  values.reserve(text.size());
  char empty[1] = {0};
  size_t i = 0;
  check_png_text(text);
  for (const auto& [key, value] : text) {
    keys.push_back(key);
    values.push_back(value);
    png_text& t = texts[i++];
    std::memset(&t, 0, sizeof t);
    const bool compress = value.size() > kCompressTextAbove;
    if (is_ascii(value)) {
      t.compression = compress ? PNG_TEXT_COMPRESSION_zTXt : PNG_TEXT_COMPRESSION_NONE;
      t.text_length = value.size();
    } else {
      t.compression = compress ? PNG_ITXT_COMPRESSION_zTXt : PNG_ITXT_COMPRESSION_NONE;
      t.itxt_length = value.size();
      t.lang = empty;
      t.lang_key = empty;
    }
    t.key = keys.back().data();
    t.text = values.back().data();
  }

  const torch::Tensor pixels = image.to(torch::kCPU).contiguous();
  const auto height = static_cast<png_uint_32>(pixels.size(0));
  const auto width = static_cast<png_uint_32>(pixels.size(1));
  std::vector<png_bytep> rows(height);
  auto* base = const_cast<uint8_t*>(pixels.data_ptr<uint8_t>());  // libpng only reads rows
  for (png_uint_32 r = 0; r < height; ++r) rows[r] = base + size_t{r} * width * 3;

  std::string bytes;
  Sink sink{&bytes};
  ErrorSlot slot;
  WriteStruct ws(&slot);
  if (!encode_into(ws.png, ws.info, width, height, rows.data(), texts.data(),
                   static_cast<int>(texts.size()), &sink)) {
    throw Error(Status::invalid_argument,
                std::string("libpng could not encode the image: ") + slot.message);
  }
  return bytes;
}

void save_png(const std::string& path, const torch::Tensor& image, const PngText& text,
              bool overwrite) {
  io::check_output_file(path, overwrite);
  std::string bytes;
  try {
    bytes = encode_png(image, text);
  } catch (const Error& e) {
    throw Error(e.status(), "cannot write '" + path + "': " + e.what());
  }
  io::write_file(path, bytes, overwrite);
}

PngImage decode_png(const uint8_t* data, size_t size, const std::string& what) {
  detail::PngHeader header = detail::read_png_header(data, size, what);
  ErrorSlot slot;
  ReadStruct rs(&slot);
  // The texts were read above, within bounds; libpng skips them.
  png_set_keep_unknown_chunks(rs.png, PNG_HANDLE_CHUNK_NEVER, detail::kTextChunkNames, 3);
  // Other compressed chunks (iCCP) expand while read: bound what one may take.
  png_set_chunk_malloc_max(rs.png, kMaxChunkBytes);
  Source src{data, size, 0};
  PngImage out;
  std::vector<png_bytep> rows;
  if (!decode_into(rs.png, rs.info, &src, &what, &out, &rows)) {
    throw Error(Status::invalid_format, what + " is a damaged PNG file: " + slot.message);
  }
  out.text = std::move(header.text);
  return out;
}

PngInfo load_png_info(const std::string& path) {
  const std::string bytes = io::read_file(path);
  detail::PngHeader header = detail::read_png_header(reinterpret_cast<const uint8_t*>(bytes.data()),
                                                     bytes.size(), "'" + path + "'");
  return {header.width, header.height, std::move(header.text), std::move(header.repeated)};
}

PngImage load_png(const std::string& path) {
  const std::string bytes = io::read_file(path);
  return decode_png(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), "'" + path + "'");
}

}  // namespace glide::image
