#include "glide/image/decode.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <vector>

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

// libjpeg's warnings go to stderr by default. A file that ends early is only a warning there
// (the missing rows come out gray): refuse it like any damaged image. Other warnings (stray
// bytes between markers) are common in JPEGs every viewer shows, and are not printed.
void on_jpeg_message(j_common_ptr info, int level) {
  if (level == -1 && info->err->msg_code == JWRN_JPEG_EOF) on_jpeg_error(info);
}

torch::Tensor decode_jpeg(const std::vector<uint8_t>& bytes, const std::string& path) {
  jpeg_decompress_struct info{};
  JpegErrorManager err{};
  info.err = jpeg_std_error(&err.base);
  err.base.error_exit = on_jpeg_error;
  err.base.emit_message = on_jpeg_message;
  torch::Tensor image;
  if (setjmp(err.jump)) {
    jpeg_destroy_decompress(&info);
    throw Error(Status::invalid_format, fmt::format("{}: damaged JPEG: {}", path, err.message));
  }
  jpeg_create_decompress(&info);
  jpeg_mem_src(&info, bytes.data(), static_cast<unsigned long>(bytes.size()));
  jpeg_read_header(&info, TRUE);
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
  const std::string file = io::read_file(path);
  const std::vector<uint8_t> bytes(file.begin(), file.end());
  static const uint8_t kPng[] = {0x89, 'P', 'N', 'G'};
  if (bytes.size() >= 4 && std::equal(kPng, kPng + 4, bytes.begin())) {
    return decode_png(bytes.data(), bytes.size(), path).pixels;
  }
  if (bytes.size() >= 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF) {
#ifdef GLIDE_WITH_JPEG
    return decode_jpeg(bytes, path);
#else
    throw Error(Status::unsupported,
                fmt::format("{} is a JPEG, and this glide was built without libjpeg", path));
#endif
  }
  throw Error(Status::invalid_format, fmt::format("{} is neither a PNG nor a JPEG file", path));
}

}  // namespace glide::image
