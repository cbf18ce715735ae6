#include "glide/image/decode.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <string>

#include "glide/error.hpp"
#include "glide/image/png.hpp"
#include "glide/io/files.hpp"

#ifdef GLIDE_WITH_JPEG
#include <jpeglib.h>
// After jpeglib.h, which it needs.
#include <jerror.h>

#include <csetjmp>
#endif

namespace glide::image {

namespace {

#ifdef GLIDE_WITH_JPEG
struct JpegErrorManager {
  jpeg_error_mgr base;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

// libjpeg reports fatal errors through a callback that must not return: jump back to the
// decoder, which turns it into a glide::Error (no C++ object lives across the jump).
void on_jpeg_error(j_common_ptr info) {
  auto* err = reinterpret_cast<JpegErrorManager*>(info->err);
  (*info->err->format_message)(info, err->message);
  std::longjmp(err->jump, 1);
}

// libjpeg's warnings go to stderr by default. Damaged entropy-coded data is only a warning there
// (the rows it held come out gray): a scan cut short by a marker (a truncated file, which
// load_image closes with an EOI marker), a bad Huffman code or the end of the data is refused
// like any damaged image. Other warnings' files are whole (stray bytes between markers are
// common in JPEGs every viewer shows); they are not printed.
void on_jpeg_message(j_common_ptr info, int level) {
  if (level != -1) return;  // trace messages
  const int code = info->err->msg_code;
  if (code == JWRN_HIT_MARKER || code == JWRN_HUFF_BAD_CODE || code == JWRN_JPEG_EOF) {
    on_jpeg_error(info);
  }
}

torch::Tensor decode_jpeg(const std::string& bytes, const std::string& path) {
  jpeg_decompress_struct info{};
  JpegErrorManager err{};
  info.err = jpeg_std_error(&err.base);
  err.base.error_exit = on_jpeg_error;
  err.base.emit_message = on_jpeg_message;
  torch::Tensor image;
  if (setjmp(err.jump)) {
    jpeg_destroy_decompress(&info);
    // A well-formed file in a process libjpeg does not decode (lossless, 12-bit) is not damaged.
    const int code = err.base.msg_code;
    if (code == JERR_SOF_UNSUPPORTED || code == JERR_BAD_PRECISION || code == JERR_NOT_COMPILED ||
        code == JERR_ARITH_NOTIMPL) {
      throw Error(Status::unsupported, fmt::format("{}: unsupported JPEG: {}", path, err.message));
    }
    throw Error(Status::invalid_format, fmt::format("{}: damaged JPEG: {}", path, err.message));
  }
  jpeg_create_decompress(&info);
  jpeg_mem_src(&info, reinterpret_cast<const unsigned char*>(bytes.data()),
               static_cast<unsigned long>(bytes.size()));
  jpeg_read_header(&info, TRUE);
  if (info.image_width > kMaxImageSide || info.image_height > kMaxImageSide) {
    const std::string size = fmt::format("{}x{} (H x W)", info.image_height, info.image_width);
    jpeg_destroy_decompress(&info);
    throw Error(Status::unsupported,
                fmt::format("{} is {} pixels; glide reads images of at most {} pixels a side", path,
                            size, kMaxImageSide));
  }
  if (info.jpeg_color_space == JCS_CMYK || info.jpeg_color_space == JCS_YCCK) {
    jpeg_destroy_decompress(&info);
    throw Error(Status::unsupported, fmt::format("{}: CMYK JPEGs are not supported", path));
  }
  info.out_color_space = JCS_RGB;
  jpeg_start_decompress(&info);
  image = torch::empty({info.output_height, info.output_width, 3}, torch::kUInt8);
  while (info.output_scanline < info.output_height) {
    JSAMPROW row = image[info.output_scanline].data_ptr<uint8_t>();
    jpeg_read_scanlines(&info, &row, 1);
  }
  jpeg_finish_decompress(&info);
  jpeg_destroy_decompress(&info);
  return image;
}
#endif

}  // namespace

torch::Tensor load_image(const std::string& path) {
  std::string bytes = io::read_file(path);
  const auto byte = [&](size_t i) { return static_cast<uint8_t>(bytes[i]); };
  if (bytes.size() >= 4 && bytes.compare(0, 4, "\x89PNG") == 0) {
    return decode_png(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), path).pixels;
  }
  if (bytes.size() >= 3 && byte(0) == 0xFF && byte(1) == 0xD8 && byte(2) == 0xFF) {
#ifdef GLIDE_WITH_JPEG
    // Many writers leave out the final EOI marker; a file missing only that is whole. Closing
    // any file with one makes a truncated scan end at a marker, which libjpeg reports.
    if (byte(bytes.size() - 2) != 0xFF || byte(bytes.size() - 1) != 0xD9) bytes += "\xFF\xD9";
    return decode_jpeg(bytes, path);
#else
    throw Error(Status::unsupported,
                fmt::format("{} is a JPEG, and this glide was built without libjpeg", path));
#endif
  }
  throw Error(Status::invalid_format, fmt::format("{} is neither a PNG nor a JPEG file", path));
}

}  // namespace glide::image
