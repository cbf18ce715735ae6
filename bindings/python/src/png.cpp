// glide.encode_png / save_png / load_png over glide/image/png.hpp, so images can be written and
// shown (IPython.display.Image) without PIL or matplotlib.
#include "glide/image/png.hpp"

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <set>
#include <string>

#include "arrays.hpp"
#include "bindings.hpp"
#include "glide/error.hpp"

namespace py = pybind11;

namespace glide::python {
namespace {

// One (H, W, 3) image: a (1, H, W, 3) batch is accepted too, a larger batch is not.
torch::Tensor single_image(const py::handle& obj) {
  const torch::Tensor images = images_from_numpy(obj, "image");
  if (images.size(0) != 1) {
    throw Error(Status::invalid_argument,
                "image holds " + std::to_string(images.size(0)) +
                    " images; a PNG holds one (index the batch: images[k])");
  }
  return images[0];
}

}  // namespace

void bind_png(py::module_& m) {
  m.def(
      "encode_png",
      [](const py::handle& image, const image::PngText& text) {
        const std::string bytes = image::encode_png(single_image(image), text);
        return py::bytes(bytes);
      },
      py::arg("image"), py::arg("text") = image::PngText{},
      "The PNG file's bytes of a uint8 (H, W, 3) image, with text chunks.");
  m.def(
      "save_png",
      [](const std::string& path, const py::handle& image, const image::PngText& text,
         bool overwrite) { image::save_png(path, single_image(image), text, overwrite); },
      py::arg("path"), py::arg("image"), py::arg("text") = image::PngText{},
      py::arg("overwrite") = false,
      "Writes a uint8 (H, W, 3) image as PNG; ValueError if `path` exists and not `overwrite`.");
  m.def(
      "load_png",
      [](const std::string& path) {
        const image::PngImage png = image::load_png(path);
        return py::make_tuple(to_numpy(png.pixels), png.text);
      },
      py::arg("path"), "(uint8 (H, W, 3) RGB pixels, text chunks) of a PNG file.");
  m.def(
      "_png_text",
      [](const std::string& path) {
        const image::PngInfo info = image::load_png_info(path);
        return py::make_tuple(info.text, info.repeated_keywords);
      },
      py::arg("path"),
      "(text chunks, keywords given by more than one chunk) of a PNG file, without decoding its "
      "pixels.");
}

}  // namespace glide::python
