// PNG reading and writing, contact sheets and the built-in font.
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "glide/error.hpp"
#include "glide/image/decode.hpp"
#include "glide/image/draw.hpp"
#include "glide/image/png.hpp"
#include "support/catch_torch.hpp"
#include "support/files.hpp"
#include "support/require_error.hpp"
#include "support/temp_dir.hpp"

using glide::Error;
using glide::Status;
using glide::image::load_png;
using glide::image::save_png;
using glide::test::ScratchDir;

using glide::test::error_of;

namespace {

torch::Tensor test_image(int64_t h, int64_t w, int64_t seed = 1) {
  const auto gen = at::detail::createCPUGenerator(static_cast<uint64_t>(seed));
  return torch::randint(0, 256, {h, w, 3}, gen, torch::kInt64).to(torch::kUInt8);
}

}  // namespace

TEST_CASE("PNG round trip keeps pixels and text chunks", "[image]") {
  ScratchDir dir("glide-image");
  const auto image = test_image(17, 23);
  const glide::image::PngText text = {
      {"prompt", "an oil painting of a corgi"},
      {"glide.params", R"({"seed": 3, "scale": 3.0})"},
      {"Comment", "caf\xc3\xa9 \xe2\x80\x94 \xe7\x8a\xac \xf0\x9f\x90\xb6"},  // café — 犬 🐶
      {"long", std::string(5000, 'z') + "\xc3\xa9"},                          // compressed iTXt
      {"long ascii", std::string(3000, 'q')},                                 // zTXt
      {"empty", ""},
  };
  const std::string path = dir.file("image.png");
  save_png(path, image, text);
  const auto loaded = load_png(path);
  CHECK(loaded.pixels.sizes() == image.sizes());
  CHECK(loaded.pixels.scalar_type() == torch::kUInt8);
  CHECK(torch::equal(loaded.pixels, image));
  CHECK(loaded.text == text);
  CHECK(glide::test::entries_in(dir.path()) == 1);  // no temporary file left behind
}

TEST_CASE("PNG images from non-contiguous tensors", "[image]") {
  ScratchDir dir("glide-image");
  const auto image = test_image(8, 5).transpose(0, 1);  // (5, 8, 3), strided
  save_png(dir.file("t.png"), image);
  CHECK(torch::equal(load_png(dir.file("t.png")).pixels, image));
}

TEST_CASE("PNG writing refuses to overwrite unless asked", "[image]") {
  ScratchDir dir("glide-image");
  const std::string path = dir.file("out.png");
  save_png(path, test_image(4, 4, 1), {{"n", "1"}});
  const std::string before = glide::test::file_text(path);
  const auto msg = error_of([&] { save_png(path, test_image(4, 4, 2)); }, Status::invalid_argument);
  CHECK(msg.find("already exists") != std::string::npos);
  CHECK(msg.find("out.png") != std::string::npos);
  CHECK(glide::test::file_text(path) == before);
  save_png(path, test_image(4, 4, 2), {{"n", "2"}}, /*overwrite=*/true);
  const auto loaded = load_png(path);
  CHECK(torch::equal(loaded.pixels, test_image(4, 4, 2)));
  CHECK(loaded.text.at("n") == "2");
  CHECK(glide::test::entries_in(dir.path()) == 1);
}

TEST_CASE("PNG writing rejects bad images, keywords and values", "[image]") {
  ScratchDir dir("glide-image");
  const std::string path = dir.file("bad.png");
  CHECK(error_of(
            [&] {
              save_png(path, torch::zeros({4, 4, 3}));
            },
            Status::invalid_argument)
            .find("uint8 (H, W, 3)") != std::string::npos);
  error_of(
      [&] {
        save_png(path, torch::zeros({4, 4, 4}, torch::kUInt8));
      },
      Status::invalid_argument);
  error_of(
      [&] {
        save_png(path, torch::zeros({0, 4, 3}, torch::kUInt8));
      },
      Status::invalid_argument);
  const auto img = test_image(2, 2);
  const std::vector<std::string> bad_keys = {
      "", " lead", "trail ", "two  spaces", std::string(80, 'k'), "caf\xc3\xa9"};
  for (const std::string& key : bad_keys) {
    INFO("keyword '" << key << "'");
    error_of([&] { save_png(path, img, {{key, "v"}}); }, Status::invalid_argument);
  }
  CHECK(error_of(
            [&] {
              save_png(path, img, {{"k", "bad \xff utf-8"}});
            },
            Status::invalid_argument)
            .find("byte offset 4") != std::string::npos);
  error_of(
      [&] {
        save_png(path, img, {{"k", std::string("nul\0inside", 10)}});
      },
      Status::invalid_argument);
  // A text readers would drop (glide's reader allows 16 MiB) is refused when writing.
  CHECK(error_of(
            [&] {
              save_png(path, img, {{"k", std::string((8 << 20) + 1, 'a')}});
            },
            Status::invalid_argument)
            .find("at most 8 MiB") != std::string::npos);
  const std::string eight_mib((8 << 20), 'a');
  save_png(dir.file("big-text.png"), img, {{"k", eight_mib}});
  CHECK(load_png(dir.file("big-text.png")).text.at("k") == eight_mib);
  std::filesystem::remove(dir.file("big-text.png"));
  CHECK_FALSE(std::filesystem::exists(path));
  CHECK(glide::test::entries_in(dir.path()) == 0);
  error_of([&] { save_png(dir.file("no/such/folder/x.png"), img); }, Status::not_found);
}

TEST_CASE("reading missing, corrupt and truncated PNGs", "[image]") {
  ScratchDir dir("glide-image");
  CHECK(
      error_of([&] { load_png(dir.file("missing.png")); }, Status::not_found).find("missing.png") !=
      std::string::npos);
  glide::test::write_file(dir.file("text.png"), "not a png at all, just some text");
  CHECK(error_of([&] { load_png(dir.file("text.png")); }, Status::invalid_format)
            .find("PNG signature") != std::string::npos);

  save_png(dir.file("good.png"), test_image(32, 32), {{"k", "v"}});
  const std::string good = glide::test::file_text(dir.file("good.png"));
  glide::test::write_file(dir.file("truncated.png"), good.substr(0, good.size() / 2));
  CHECK(error_of([&] { load_png(dir.file("truncated.png")); }, Status::invalid_format)
            .find("damaged") != std::string::npos);
  std::string flipped = good;
  flipped[40] = static_cast<char>(flipped[40] ^ 0x55);  // inside a chunk: its CRC fails
  glide::test::write_file(dir.file("flipped.png"), flipped);
  error_of([&] { load_png(dir.file("flipped.png")); }, Status::invalid_format);
  error_of([&] { glide::image::decode_png(nullptr, 0); }, Status::invalid_format);
  // A chunk claiming 2 GiB in a tiny file is refused before anything is allocated for it.
  const std::string huge_chunk = good.substr(0, 33) + std::string("\x80\x00\x00\x00tEXtab", 10);
  CHECK(error_of(
            [&] {
              glide::image::decode_png(reinterpret_cast<const uint8_t*>(huge_chunk.data()),
                                       huge_chunk.size());
            },
            Status::invalid_format)
            .find("chunk 1 (tEXt) at byte 33 declares 2147483648 bytes of data and a checksum, "
                  "but only 2 bytes follow") != std::string::npos);
  // A pipe named like an image is refused at once: reading it would wait for a writer forever.
  REQUIRE(::mkfifo(dir.file("pipe.png").c_str(), 0600) == 0);
  for (const auto& read : std::vector<std::function<void()>>{
           [&] { load_png(dir.file("pipe.png")); },
           [&] { glide::image::load_image(dir.file("pipe.png")); }}) {
    CHECK(error_of(read, Status::invalid_argument).find("not a regular file") != std::string::npos);
  }
}

// Small PNGs of other colour types, written byte by byte (zlib-compressed rows, CRCs).
namespace {
const unsigned char k_gray8[] = {
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48,
    0x44, 0x52, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00, 0x00, 0x00,
    0x00, 0xd1, 0x49, 0x20, 0x56, 0x00, 0x00, 0x00, 0x0b, 0x49, 0x44, 0x41, 0x54, 0x78,
    0x9c, 0x63, 0x60, 0x68, 0x00, 0x00, 0x00, 0x83, 0x00, 0x81, 0x87, 0xcf, 0xec, 0xa4,
    0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82};
const unsigned char k_rgba8[] = {
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44,
    0x52, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0xf4,
    0x22, 0x7f, 0x8a, 0x00, 0x00, 0x00, 0x11, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x60,
    0x64, 0x62, 0x66, 0xf9, 0xf5, 0xfb, 0x0f, 0x03, 0x00, 0x09, 0x16, 0x02, 0xfc, 0x82, 0x4f,
    0x86, 0x2b, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82};
const unsigned char k_rgb16[] = {
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44,
    0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x10, 0x02, 0x00, 0x00, 0x00, 0xc0,
    0xe7, 0x8f, 0x9d, 0x00, 0x00, 0x00, 0x0f, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x10,
    0x32, 0x59, 0x7d, 0xf6, 0x3f, 0x03, 0x00, 0x08, 0x88, 0x02, 0xbe, 0x66, 0x03, 0x65, 0x97,
    0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82};
const unsigned char k_palette[] = {
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44,
    0x52, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x01, 0x08, 0x03, 0x00, 0x00, 0x00, 0xc3,
    0xfc, 0x8f, 0xb8, 0x00, 0x00, 0x00, 0x06, 0x50, 0x4c, 0x54, 0x45, 0x09, 0x08, 0x07, 0x64,
    0x96, 0xc8, 0xd2, 0xb5, 0x9f, 0x9d, 0x00, 0x00, 0x00, 0x0b, 0x49, 0x44, 0x41, 0x54, 0x78,
    0x9c, 0x63, 0x60, 0x64, 0x00, 0x00, 0x00, 0x05, 0x00, 0x02, 0xd1, 0x66, 0x33, 0x78, 0x00,
    0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82};
// k_palette with its second pixel's index 5, past the two palette entries.
const unsigned char k_palette_index_out_of_range[] = {
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44,
    0x52, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x01, 0x08, 0x03, 0x00, 0x00, 0x00, 0xc3,
    0xfc, 0x8f, 0xb8, 0x00, 0x00, 0x00, 0x06, 0x50, 0x4c, 0x54, 0x45, 0x09, 0x08, 0x07, 0x64,
    0x96, 0xc8, 0xd2, 0xb5, 0x9f, 0x9d, 0x00, 0x00, 0x00, 0x0b, 0x49, 0x44, 0x41, 0x54, 0x78,
    0xda, 0x63, 0x60, 0x64, 0x05, 0x00, 0x00, 0x0a, 0x00, 0x07, 0x69, 0x39, 0x66, 0x9e, 0x00,
    0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82};
// 3x3, 2-bit palette indices, Adam7-interlaced: rows 0 1 2 / 2 1 0 / 1 2 1 of a three-entry
// palette (10,20,30), (40,50,60), (70,80,90).
const unsigned char k_palette_2bit_interlaced[] = {
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x03, 0x02, 0x03, 0x00, 0x00, 0x01, 0x5c, 0x41, 0x6d,
    0xba, 0x00, 0x00, 0x00, 0x09, 0x50, 0x4c, 0x54, 0x45, 0x0a, 0x14, 0x1e, 0x28, 0x32, 0x3c, 0x46,
    0x50, 0x5a, 0x16, 0xac, 0x84, 0x74, 0x00, 0x00, 0x00, 0x12, 0x49, 0x44, 0x41, 0x54, 0x78, 0xda,
    0x63, 0x60, 0x60, 0x68, 0x60, 0x08, 0x60, 0x70, 0x00, 0x92, 0x13, 0x00, 0x0a, 0x0c, 0x02, 0x21,
    0x0d, 0x85, 0xc6, 0xd9, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82};
const unsigned char k_latin1text[] = {
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44,
    0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00, 0x00, 0x00, 0x00, 0x3a,
    0x7e, 0x9b, 0x55, 0x00, 0x00, 0x00, 0x0b, 0x74, 0x45, 0x58, 0x74, 0x41, 0x75, 0x74, 0x68,
    0x6f, 0x72, 0x00, 0x4a, 0x6f, 0x73, 0xe9, 0x12, 0x39, 0x0e, 0x6c, 0x00, 0x00, 0x00, 0x0a,
    0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x60, 0x07, 0x00, 0x00, 0x09, 0x00, 0x08, 0x20,
    0x23, 0xc3, 0x8c, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82};

torch::Tensor rgb(std::initializer_list<int> values, int64_t h, int64_t w) {
  return torch::tensor(std::vector<int>(values), torch::kInt).to(torch::kUInt8).reshape({h, w, 3});
}

glide::image::PngImage decode(const unsigned char* data, size_t size) {
  return glide::image::decode_png(data, size, "test PNG");
}

}  // namespace

TEST_CASE("gray, RGBA, 16-bit and palette PNGs read as RGB", "[image]") {
  CHECK(torch::equal(decode(k_gray8, sizeof k_gray8).pixels, rgb({0, 0, 0, 128, 128, 128}, 1, 2)));
  CHECK(torch::equal(decode(k_rgba8, sizeof k_rgba8).pixels, rgb({1, 2, 3, 250, 251, 252}, 1, 2)));
  CHECK(torch::equal(decode(k_rgb16, sizeof k_rgb16).pixels, rgb({18, 171, 254}, 1, 1)));
  CHECK(torch::equal(decode(k_palette, sizeof k_palette).pixels,
                     rgb({100, 150, 200, 9, 8, 7}, 1, 2)));
  CHECK(torch::equal(decode(k_palette_2bit_interlaced, sizeof k_palette_2bit_interlaced).pixels,
                     rgb({10, 20, 30, 40, 50, 60, 70, 80, 90, 70, 80, 90, 40, 50,
                          60, 10, 20, 30, 40, 50, 60, 70, 80, 90, 40, 50, 60},
                         3, 3)));
  // libpng alone would read the stray index as black (a mask's "regenerate").
  CHECK(error_of([&] { decode(k_palette_index_out_of_range, sizeof k_palette_index_out_of_range); },
                 Status::invalid_format)
            .find("test PNG is a damaged PNG file: pixel (1, 0) uses palette index 5, but the "
                  "palette has 2 entries") != std::string::npos);
  // tEXt is Latin-1: 0xe9 becomes U+00E9 in UTF-8.
  CHECK(decode(k_latin1text, sizeof k_latin1text).text.at("Author") == "Jos\xc3\xa9");
}

TEST_CASE("make_grid lays images out with padding", "[image]") {
  const auto images = torch::stack({torch::full({4, 5, 3}, 10, torch::kUInt8),
                                    torch::full({4, 5, 3}, 20, torch::kUInt8),
                                    torch::full({4, 5, 3}, 30, torch::kUInt8)});
  SECTION("two columns, two rows, last cell empty") {
    const auto grid = glide::image::make_grid(images, 2, 1, {255, 0, 255});
    REQUIRE(grid.sizes() == torch::IntArrayRef({2 * 4 + 3, 2 * 5 + 3, 3}));
    CHECK(torch::equal(grid.slice(0, 1, 5).slice(1, 1, 6), images[0]));
    CHECK(torch::equal(grid.slice(0, 1, 5).slice(1, 7, 12), images[1]));
    CHECK(torch::equal(grid.slice(0, 6, 10).slice(1, 1, 6), images[2]));
    const auto pad = torch::tensor({255, 0, 255}, torch::kUInt8);
    CHECK(torch::equal(grid[0][0], pad));
    CHECK(torch::equal(grid[5][3], pad));    // between the rows
    CHECK(torch::equal(grid[2][6], pad));    // between the columns
    CHECK(torch::equal(grid[7][9], pad));    // the empty cell
    CHECK(torch::equal(grid[10][12], pad));  // bottom-right border
  }
  SECTION("more columns than images") {
    const auto grid = glide::image::make_grid(images, 10, 0);
    REQUIRE(grid.sizes() == torch::IntArrayRef({4, 15, 3}));
    CHECK(torch::equal(grid.slice(1, 10, 15), images[2]));
  }
  SECTION("one column") {
    CHECK(glide::image::make_grid(images, 1, 2).sizes() == torch::IntArrayRef({3 * 4 + 8, 9, 3}));
  }
  SECTION("bad arguments") {
    error_of([&] { glide::image::make_grid(images, 0, 1); }, Status::invalid_argument);
    error_of([&] { glide::image::make_grid(images, 2, -1); }, Status::invalid_argument);
    error_of([&] { glide::image::make_grid(images[0], 2, 1); }, Status::invalid_argument);
    error_of([&] { glide::image::make_grid(images.slice(0, 0, 0), 2, 1); },
             Status::invalid_argument);
  }
}

TEST_CASE("the built-in font draws labels", "[image]") {
  auto canvas = torch::full({20, 80, 3}, 255, torch::kUInt8);
  const auto blank = canvas.clone();
  CHECK(glide::image::text_size("", 1).width == 0);
  const auto size = glide::image::text_size("seed=3", 2);
  CHECK(size.width == (5 * 6 + 5) * 2);
  CHECK(size.height == 14);

  glide::image::draw_text(canvas, "seed=3", 2, 3, {200, 0, 0}, 2);
  const auto changed = (canvas != blank).any(2);
  CHECK(changed.any().item<bool>());
  // Everything drawn lies inside the text's box, in the colour asked for.
  const auto outside = changed.clone();
  outside.slice(0, 3, 3 + size.height).slice(1, 2, 2 + size.width).fill_(false);
  CHECK_FALSE(outside.any().item<bool>());
  const auto drawn = canvas.index({changed});
  CHECK(torch::equal(drawn, torch::tensor({200, 0, 0}, torch::kUInt8).expand_as(drawn)));

  // Distinct characters draw distinct pixels; a space draws none; unknown bytes draw '?'.
  auto a = blank.clone(), b = blank.clone(), space = blank.clone(), q = blank.clone(),
       unknown = blank.clone();
  glide::image::draw_text(a, "a", 0, 0);
  glide::image::draw_text(b, "b", 0, 0);
  glide::image::draw_text(space, " ", 0, 0);
  glide::image::draw_text(q, "?", 0, 0);
  glide::image::draw_text(unknown, "\xc3", 0, 0);
  CHECK_FALSE(torch::equal(a, b));
  CHECK(torch::equal(space, blank));
  CHECK(torch::equal(q, unknown));
  // A UTF-8 character is one cell. A Latin letter with a diacritic draws as its letter, typographic
  // punctuation as ASCII's, anything else as '?': "é" as "e", "Œ—ł" as "O-l", "日本" as "??".
  const auto drawing = [&](const std::string& text) {
    auto canvas = blank.clone();
    glide::image::draw_text(canvas, text, 0, 0);
    return canvas;
  };
  CHECK(torch::equal(drawing("caf\xc3\xa9"), drawing("cafe")));
  CHECK(torch::equal(drawing("\xc3\x85ngstr\xc3\xb6m"), drawing("Angstrom")));
  CHECK(torch::equal(drawing("\xc5\x92\xe2\x80\x94\xc5\x82"), drawing("O-l")));
  CHECK(torch::equal(drawing("\xe2\x80\x9cit\xe2\x80\x99s\xe2\x80\x9d"), drawing("\"it's\"")));
  CHECK(torch::equal(drawing("\xc5\xbf\xc3\xbf"), drawing("sy")));  // the tables' last entries
  CHECK(torch::equal(drawing("\xc3\xbe"), q));                      // thorn: no ASCII letter
  CHECK(torch::equal(drawing("\xe0\x80\x80"), q));  // an overlong form is ill-formed: '?'
  auto two = blank.clone(), two_q = blank.clone();
  glide::image::draw_text(two, "\xe6\x97\xa5\xe6\x9c\xac", 0, 0);
  glide::image::draw_text(two_q, "??", 0, 0);
  CHECK(torch::equal(two, two_q));
  CHECK(glide::image::text_size("\xe6\x97\xa5\xe6\x9c\xac").width ==
        glide::image::text_size("??").width);

  // Text running off the image is clipped, not an error.
  auto edge = blank.clone();
  glide::image::draw_text(edge, "clipped text", 60, 10, {0, 0, 0}, 3);
  glide::image::draw_text(edge, "x", -100, -100);
  CHECK((edge != blank).any().item<bool>());

  error_of(
      [&] {
        glide::image::draw_text(canvas, "x", 0, 0, {0, 0, 0}, 0);
      },
      Status::invalid_argument);
  auto strided = blank.transpose(0, 1);
  error_of([&] { glide::image::draw_text(strided, "x", 0, 0); }, Status::invalid_argument);
  auto floats = torch::zeros({4, 4, 3});
  error_of([&] { glide::image::draw_text(floats, "x", 0, 0); }, Status::invalid_argument);
}
