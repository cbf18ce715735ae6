// Fuzzes the PNG chunk walk (src/image/png_chunks.cpp): chunk lengths, IHDR, CRCs and the text
// chunks inflated within their budget, on a whole file's bytes held in memory.
#include "glide/error.hpp"
#include "image/png_chunks.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const auto header = glide::image::detail::read_png_header(data, size, "fuzz");
    size_t text_bytes = 0;
    for (const auto& [key, value] : header.text) text_bytes += key.size() + value.size();
    (void)text_bytes;
  } catch (const glide::Error&) {
    // Refusing bad input is the expected outcome.
  }
  return 0;
}
