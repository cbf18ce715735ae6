// The PNG chunk walk (src/image/png_chunks.cpp): text chunks are read with a bound on what they
// inflate to, damaged text chunks are named, and load_png_info reads no pixels. The files are
// built chunk by chunk here (zlib for compression and CRCs).
#include <zlib.h>

#include <chrono>
#include <fstream>
#include <set>
#include <string>

#include "glide/error.hpp"
#include "glide/image/png.hpp"
#include "support/catch_torch.hpp"
#include "support/require_error.hpp"
#include "support/temp_dir.hpp"

using glide::Status;
using glide::image::decode_png;
using glide::test::require_error;

namespace {

std::string big_endian(uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
          static_cast<char>(v)};
}

// One chunk: length, type, data, CRC over type and data (PNG spec section 5.3).
std::string chunk(const std::string& type, const std::string& data) {
  const std::string typed = type + data;
  const uLong crc =
      crc32(0L, reinterpret_cast<const Bytef*>(typed.data()), static_cast<uInt>(typed.size()));
  return big_endian(static_cast<uint32_t>(data.size())) + typed +
         big_endian(static_cast<uint32_t>(crc));
}

std::string deflated(const std::string& text) {
  uLongf size = compressBound(text.size());
  std::string out(size, '\0');
  REQUIRE(compress2(reinterpret_cast<Bytef*>(out.data()), &size,
                    reinterpret_cast<const Bytef*>(text.data()), text.size(), 9) == Z_OK);
  out.resize(size);
  return out;
}

// A 2x2 RGB image as glide writes it, cut after its IHDR so chunks can go in between.
struct Parts {
  std::string head;  // signature and IHDR
  std::string rest;  // IDAT ... IEND
};
Parts a_png() {
  const std::string png = glide::image::encode_png(torch::full({2, 2, 3}, 7, torch::kUInt8), {});
  return {png.substr(0, 33), png.substr(33)};
}

glide::image::PngImage decode(const std::string& png) {
  return decode_png(reinterpret_cast<const uint8_t*>(png.data()), png.size(), "test PNG");
}

std::string ztxt(const std::string& key, const std::string& text) {
  return chunk("zTXt", key + std::string(1, '\0') + std::string(1, '\0') + deflated(text));
}

}  // namespace

TEST_CASE("PNG text chunks of every kind are read, compressed or not", "[image]") {
  const Parts p = a_png();
  const std::string itxt_plain = std::string("plain\0\0\0en\0\0", 12) + "caf\xc3\xa9";
  const std::string itxt_deflated =
      std::string("packed\0\1\0\0\0", 11) + deflated("\xe7\x8a\xac dog");
  const auto png =
      decode(p.head + chunk("tEXt", std::string("latin\0caf\xe9", 10)) + ztxt("z", "squeezed") +
             chunk("iTXt", itxt_plain) + chunk("iTXt", itxt_deflated) + p.rest);
  CHECK(png.text.at("latin") == "caf\xc3\xa9");
  CHECK(png.text.at("z") == "squeezed");
  CHECK(png.text.at("plain") == "caf\xc3\xa9");
  CHECK(png.text.at("packed") == "\xe7\x8a\xac dog");
  CHECK(torch::equal(png.pixels, torch::full({2, 2, 3}, 7, torch::kUInt8)));

  // iTXt text that is not UTF-8, against the spec, still reads as UTF-8: each ill-formed byte
  // becomes U+FFFD (Python's str could not take it), the rest is kept.
  const auto odd = decode(p.head +
                          chunk("iTXt", std::string("odd\0\0\0\0\0", 8) + "a\xff\xc3"
                                                                          "b") +
                          p.rest);
  CHECK(odd.text.at("odd") ==
        "a\xef\xbf\xbd\xef\xbf\xbd"
        "b");
}

TEST_CASE("PNG texts are bounded once inflated, one by one and in all", "[image]") {
  const Parts p = a_png();
  // One zTXt of 17 MiB of zeros: 17 KB in the file.
  require_error([&] { decode(p.head + ztxt("bomb", std::string(17 << 20, 'a')) + p.rest); },
                "chunk 1 (zTXt 'bomb') brings it past 16 MiB for one text or 32 MiB in all",
                Status::unsupported);
  // Forty texts of 15 MiB each, every one under the limit for one text: 600 KB that inflated to
  // 600 MiB (and took seconds) before the total was bounded.
  const std::string fifteen = ztxt("t", std::string(15 << 20, 'a'));
  std::string many = p.head;
  for (int i = 0; i < 40; ++i) many += fifteen;
  many += p.rest;
  const auto start = std::chrono::steady_clock::now();
  require_error([&] { decode(many); }, "chunk 3 (zTXt 't') brings it past", Status::unsupported);
  // Three texts are inflated, not forty (a loose bound: the check is that it stops).
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(20));
}

TEST_CASE("damaged PNG text chunks are named", "[image]") {
  const Parts p = a_png();
  std::string bad_crc = chunk("tEXt", std::string("k\0v", 3));
  bad_crc.back() ^= 1;
  require_error([&] { decode(p.head + bad_crc + p.rest); },
                "damaged PNG file: chunk 1 (tEXt) at byte 33 fails its CRC check",
                Status::invalid_format);
  require_error([&] { decode(p.head + chunk("tEXt", "no separator") + p.rest); },
                "field missing its NUL end", Status::invalid_format);
  require_error([&] { decode(p.head + chunk("tEXt", std::string("\0v", 2)) + p.rest); },
                "keyword is not 1 to 79 bytes long", Status::invalid_format);
  require_error([&] { decode(p.head + chunk("zTXt", std::string("k\0\0not zlib", 11)) + p.rest); },
                "holds the text 'k', whose compressed data is damaged", Status::invalid_format);
  const std::string cut = deflated(std::string(5000, 'x')).substr(0, 20);
  require_error([&] { decode(p.head + chunk("zTXt", std::string("k\0\0", 3) + cut) + p.rest); },
                "whose compressed data ends early", Status::invalid_format);
  require_error([&] { decode(p.head + chunk("zTXt", std::string("k\0\7", 3)) + p.rest); },
                "names compression method 7; only zlib (0) is defined", Status::invalid_format);
  require_error([&] { decode(p.head + chunk("iTXt", std::string("k\0\2\0\0\0", 6)) + p.rest); },
                "has the compression flag 2; expected 0 or 1", Status::invalid_format);
  require_error([&] { decode(p.head + chunk("iTXt", std::string("k\0", 2)) + p.rest); },
                "ends before its compression fields", Status::invalid_format);
  require_error(
      [&] {
        decode(p.head + chunk("zTXt", std::string("k\0\0", 3) + deflated("x") + "JUNK") + p.rest);
      },
      "holds the text 'k', followed by 4 bytes that are not part of its compressed data",
      Status::invalid_format);
  // The chunk order: IHDR first, IEND at the end.
  require_error([&] { decode(p.head.substr(0, 8) + p.rest); }, "is not IHDR, which must come first",
                Status::invalid_format);
  require_error([&] { decode(p.head + p.rest.substr(0, p.rest.size() - 12)); },
                "without an IEND chunk (truncated?)", Status::invalid_format);
  require_error([&] { decode(p.head + chunk("IEND", "")); }, "holds no IDAT chunk",
                Status::invalid_format);
}

TEST_CASE("an IHDR with a colour type, depth or method PNG does not define is refused", "[image]") {
  const Parts p = a_png();
  const std::string signature = p.head.substr(0, 8);
  const auto ihdr = [&](int depth, int colour, int compression, int filter, int interlace) {
    const std::string fields{static_cast<char>(depth), static_cast<char>(colour),
                             static_cast<char>(compression), static_cast<char>(filter),
                             static_cast<char>(interlace)};
    return signature + chunk("IHDR", big_endian(2) + big_endian(2) + fields) + p.rest;
  };
  require_error([&] { decode(ihdr(3, 0, 0, 0, 0)); }, "colour type 0 with bit depth 3",
                Status::invalid_format);
  require_error([&] { decode(ihdr(16, 3, 0, 0, 0)); }, "colour type 3 with bit depth 16",
                Status::invalid_format);
  require_error([&] { decode(ihdr(8, 5, 0, 0, 0)); }, "colour type 5", Status::invalid_format);
  require_error([&] { decode(ihdr(8, 2, 0, 0, 2)); },
                "compression method 0, filter method 0 and interlace method 2",
                Status::invalid_format);
  require_error([&] { decode(ihdr(8, 2, 1, 0, 0)); }, "compression method 1",
                Status::invalid_format);
}

TEST_CASE("a PNG larger than glide reads is refused from its IHDR alone", "[image]") {
  const Parts p = a_png();
  const std::string fields{8, 2, 0, 0, 0};  // 8-bit RGB, the methods PNG defines
  const std::string wide =
      p.head.substr(0, 8) + chunk("IHDR", big_endian(20000) + big_endian(3) + fields) + p.rest;
  require_error([&] { decode(wide); },
                "test PNG is 3x20000 (H x W) pixels; glide reads PNGs of at most 16384",
                Status::unsupported);
}

TEST_CASE("load_png_info reads the size and texts, not the pixels", "[image]") {
  glide::test::ScratchDir dir("glide-png-info");
  const std::string path = dir.file("x.png");
  glide::image::save_png(path, torch::zeros({3, 5, 3}, torch::kUInt8), {{"k", "v"}});
  const glide::image::PngInfo info = glide::image::load_png_info(path);
  CHECK(info.width == 5);
  CHECK(info.height == 3);
  CHECK(info.text == glide::image::PngText{{"k", "v"}});
  CHECK(info.repeated_keywords.empty());

  // A keyword in two chunks (PNG allows it): the last value, and the keyword named as repeated.
  {
    const Parts p = a_png();
    std::ofstream(dir.file("twice.png"), std::ios::binary)
        << p.head + chunk("tEXt", std::string("k\0one", 5)) + ztxt("k", "two") + p.rest;
  }
  const glide::image::PngInfo twice = glide::image::load_png_info(dir.file("twice.png"));
  CHECK(twice.text.at("k") == "two");
  CHECK(twice.repeated_keywords == std::set<std::string>{"k"});

  // Damaged pixel data (its IDAT's CRC fails): the header still reads, the image does not.
  const Parts p = a_png();
  std::string png = p.head + p.rest;
  png[33 + 9] ^= 0x40;  // a byte of the IDAT data
  { std::ofstream(dir.file("bad.png"), std::ios::binary) << png; }
  CHECK(glide::image::load_png_info(dir.file("bad.png")).width == 2);
  require_error([&] { glide::image::load_png(dir.file("bad.png")); }, "damaged PNG file",
                Status::invalid_format);
}
