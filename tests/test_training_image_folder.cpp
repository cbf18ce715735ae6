// Training on a folder of captioned images: PNG and JPEG decoding, resize + centre crop, and the
// errors for missing captions and unreadable files.
#include <filesystem>
#include <fstream>

#include "glide/image/decode.hpp"
#include "glide/image/png.hpp"
#include "glide/training/image_folder.hpp"
#include "support/catch_torch.hpp"
#include "support/files.hpp"
#include "support/require_error.hpp"
#include "support/temp_dir.hpp"

#ifdef GLIDE_TEST_WITH_JPEG
#include <jpeglib.h>

#include <cstdio>
#endif

using namespace glide;
using glide::test::require_error;

namespace {

// A 40x60 (H x W) image: left half red, right half blue.
torch::Tensor two_halves() {
  torch::Tensor image = torch::zeros({40, 60, 3}, torch::kUInt8);
  image.slice(1, 0, 30).select(2, 0).fill_(200);
  image.slice(1, 30, 60).select(2, 2).fill_(200);
  return image;
}

#ifdef GLIDE_TEST_WITH_JPEG
void write_jpeg(const std::string& path, const torch::Tensor& image) {
  jpeg_compress_struct info{};
  jpeg_error_mgr err{};
  info.err = jpeg_std_error(&err);
  jpeg_create_compress(&info);
  FILE* file = std::fopen(path.c_str(), "wb");
  REQUIRE(file != nullptr);
  jpeg_stdio_dest(&info, file);
  info.image_width = static_cast<JDIMENSION>(image.size(1));
  info.image_height = static_cast<JDIMENSION>(image.size(0));
  info.input_components = 3;
  info.in_color_space = JCS_RGB;
  jpeg_set_defaults(&info);
  jpeg_set_quality(&info, 95, TRUE);
  jpeg_start_compress(&info, TRUE);
  const torch::Tensor pixels = image.contiguous();
  for (int64_t y = 0; y < image.size(0); ++y) {
    JSAMPROW row = pixels[y].data_ptr<uint8_t>();
    jpeg_write_scanlines(&info, &row, 1);
  }
  jpeg_finish_compress(&info);
  jpeg_destroy_compress(&info);
  std::fclose(file);
}
#endif

}  // namespace

TEST_CASE("resize_center_crop keeps the middle of the longer side", "[training][images]") {
  const torch::Tensor out = training::resize_center_crop(two_halves(), 20);
  REQUIRE(out.sizes() == torch::IntArrayRef({3, 20, 20}));
  // 40x60 → 20x30, crop columns 5..25: the left 10 columns red, the right 10 blue.
  const double red = 200 / 127.5 - 1;
  CHECK(out[0][10][2].item<double>() == Approx(red).margin(1e-3));
  CHECK(out[2][10][17].item<double>() == Approx(red).margin(1e-3));
  CHECK(out[2][10][2].item<double>() == Approx(-1).margin(1e-3));
  CHECK(out.min().item<double>() >= -1.0);
  CHECK(out.max().item<double>() <= 1.0);
  require_error(
      [] {
        training::resize_center_crop(torch::zeros({4, 4}), 2);
      },
      "expected uint8", Status::invalid_argument);
}

TEST_CASE("an image folder yields its images with their captions", "[training][images]") {
  glide::test::ScratchDir dir;
  image::save_png(dir.file("b.png"), two_halves());
  glide::test::write_file(dir.file("b.txt"), "two halves\n");
  image::save_png(dir.file("a.PNG"), torch::full({16, 16, 3}, 255, torch::kUInt8));
  glide::test::write_file(dir.file("a.txt"), "white");
  glide::test::write_file(dir.file("notes.md"), "not an image");
#ifdef GLIDE_TEST_WITH_JPEG
  write_jpeg(dir.file("c.jpg"), two_halves());
  glide::test::write_file(dir.file("c.txt"), "a jpeg");
#endif
  const training::ImageFolderDataset data(dir.path().string(), 8);
#ifdef GLIDE_TEST_WITH_JPEG
  REQUIRE(data.size() == 3);
  const auto jpeg = data.get(2);
  CHECK(jpeg.caption == "a jpeg");
  CHECK(torch::allclose(jpeg.image, data.get(1).image, /*rtol=*/0, /*atol=*/0.08));
  const torch::Tensor decoded = image::load_image(dir.file("c.jpg"));
  CHECK(decoded.sizes() == torch::IntArrayRef({40, 60, 3}));
#else
  REQUIRE(data.size() == 2);
#endif
  CHECK(data.get(0).caption == "white");  // files sorted by name; trailing newline dropped
  CHECK(data.get(1).caption == "two halves");
  CHECK(data.get(0).image.sizes() == torch::IntArrayRef({3, 8, 8}));
  CHECK(data.get(0).image.min().item<double>() == Approx(1.0));
  require_error([&] { data.get(7); }, "index 7", Status::invalid_argument);

  // Each image is decoded once: later steps use the kept model-sized copy, not the file.
  const torch::Tensor first = data.get(1).image.clone();
  std::filesystem::remove(dir.file("b.png"));
  CHECK(torch::equal(data.get(1).image, first));
}

TEST_CASE("image folders without captions, images or valid files are refused clearly",
          "[training][images]") {
  glide::test::ScratchDir dir;
  require_error([&] { training::ImageFolderDataset(dir.file("absent"), 8); }, "does not exist",
                Status::not_found);
  require_error([&] { training::ImageFolderDataset(dir.path().string(), 8); }, "no .png",
                Status::not_found);
  glide::test::write_file(dir.file("notes.md"), "a file, not a folder");
  require_error([&] { training::ImageFolderDataset(dir.file("notes.md"), 8); }, "is not a folder",
                Status::invalid_argument);
  std::filesystem::create_symlink("loop", dir.file("loop"));
  require_error([&] { training::ImageFolderDataset(dir.file("loop"), 8); }, "cannot reach",
                Status::io_error);
  image::save_png(dir.file("x.png"), two_halves());
  require_error([&] { training::ImageFolderDataset(dir.path().string(), 8); }, "x.txt",
                Status::not_found);
  // A caption that is a folder is named as one, not as missing.
  std::filesystem::create_directory(dir.file("x.txt"));
  require_error([&] { training::ImageFolderDataset(dir.path().string(), 8); },
                "x.txt': it is a folder", Status::io_error);
  std::filesystem::remove(dir.file("x.txt"));
  glide::test::write_file(dir.file("x.txt"), std::string("caf\xC3", 4));
  require_error([&] { training::ImageFolderDataset(dir.path().string(), 8); }, "x.txt");
  glide::test::write_file(dir.file("y.txt"), "fake");
  glide::test::write_file(dir.file("y.jpg"), "this is not a jpeg");
  glide::test::write_file(dir.file("x.txt"), "ok");
  // Every image is read when the folder is opened: a bad one stops a run before its first step,
  // not hours in.
  const auto open = [&] { training::ImageFolderDataset(dir.path().string(), 8); };
  require_error(open, "neither a PNG nor a JPEG");
  std::filesystem::remove(dir.file("y.jpg"));
  std::filesystem::remove(dir.file("y.txt"));
  CHECK(training::ImageFolderDataset(dir.path().string(), 8).size() == 1);
  glide::test::write_file(dir.file("z.jpg"), std::string("\xFF\xD8\xFF\xE0 truncated", 14));
  glide::test::write_file(dir.file("z.txt"), "broken");
#ifdef GLIDE_TEST_WITH_JPEG
  require_error(open, "damaged JPEG");
  // Cut after its header and some rows: libjpeg only warns (and fills the rest with gray).
  write_jpeg(dir.file("cut.jpg"), two_halves());
  const std::string whole = glide::test::file_text(dir.file("cut.jpg"));
  glide::test::write_file(dir.file("cut.jpg"), whole.substr(0, whole.size() * 3 / 4));
  require_error([&] { image::load_image(dir.file("cut.jpg")); }, "damaged JPEG",
                Status::invalid_format);
  // Cut mid-scan but closed with an EOI marker: libjpeg warns of a "premature end of data
  // segment" and fills the rest with gray.
  glide::test::write_file(dir.file("cut.jpg"), whole.substr(0, whole.size() * 3 / 4) + "\xFF\xD9");
  require_error([&] { image::load_image(dir.file("cut.jpg")); }, "damaged JPEG",
                Status::invalid_format);
  // A header claiming 30000 x 20000 pixels (in 3 kB) is refused before anything is allocated.
  std::string huge = whole;
  const size_t sof = huge.find("\xFF\xC0");
  REQUIRE(sof != std::string::npos);
  huge[sof + 5] = static_cast<char>(30000 >> 8);  // the height, then the width (ITU T.81 B.2.2)
  huge[sof + 6] = static_cast<char>(30000 & 0xff);
  huge[sof + 7] = static_cast<char>(20000 >> 8);
  huge[sof + 8] = static_cast<char>(20000 & 0xff);
  glide::test::write_file(dir.file("huge.jpg"), huge);
  require_error([&] { image::load_image(dir.file("huge.jpg")); },
                "is 30000x20000 (H x W) pixels; glide reads images of at most 16384 pixels a side",
                Status::unsupported);
  // Whole but for its final EOI marker: every row is there, so it reads as the whole file does.
  glide::test::write_file(dir.file("whole.jpg"), whole);
  glide::test::write_file(dir.file("no-eoi.jpg"), whole.substr(0, whole.size() - 2));
  CHECK(torch::equal(image::load_image(dir.file("no-eoi.jpg")),
                     image::load_image(dir.file("whole.jpg"))));
#else
  require_error(open, "without libjpeg", Status::unsupported);
#endif
}

TEST_CASE("an image's name on a dangling link or a folder is refused, not skipped",
          "[training][images]") {
  glide::test::ScratchDir dir;
  image::save_png(dir.file("a.png"), two_halves());
  glide::test::write_file(dir.file("a.txt"), "two halves");
  std::filesystem::create_symlink(dir.file("gone.png"), dir.file("b.png"));
  require_error([&] { training::ImageFolderDataset(dir.path().string(), 8); },
                "b.png in the image folder is a link to " + dir.file("gone.png") +
                    ", which does not exist; expected an image file",
                Status::invalid_argument);
  std::filesystem::remove(dir.file("b.png"));
  std::filesystem::create_symlink("c.png", dir.file("c.png"));  // a link to itself
  require_error([&] { training::ImageFolderDataset(dir.path().string(), 8); },
                "c.png in the image folder is a link that cannot be followed",
                Status::invalid_argument);
  std::filesystem::remove(dir.file("c.png"));
  std::filesystem::create_directory(dir.file("d.png"));
  require_error([&] { training::ImageFolderDataset(dir.path().string(), 8); },
                "d.png in the image folder is a folder", Status::invalid_argument);
  std::filesystem::remove(dir.file("d.png"));
  CHECK(training::ImageFolderDataset(dir.path().string(), 8).size() == 1);
}
