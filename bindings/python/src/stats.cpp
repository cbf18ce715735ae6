// glide.image_stats over glide/image/stats.hpp: the numbers glide sweep's CSV gives each cell,
// for studies written in Python.
#include "glide/image/stats.hpp"

#include <pybind11/pybind11.h>

#include "arrays.hpp"
#include "bindings.hpp"

namespace py = pybind11;

namespace glide::python {
namespace {

// Named as the CSV's columns (docs/cli.md), so a study can mix both.
py::dict stats_dict(const image::ImageStats& s) {
  py::dict d;
  d["mean_r"] = s.mean_rgb[0];
  d["mean_g"] = s.mean_rgb[1];
  d["mean_b"] = s.mean_rgb[2];
  d["mean_luminance"] = s.mean_luminance;
  d["contrast"] = s.contrast;
  d["saturation"] = s.saturation;
  d["sharpness"] = s.sharpness;
  return d;
}

}  // namespace

void bind_stats(py::module_& m) {
  m.def(
      "image_stats",
      [](const py::handle& images) -> py::object {
        const torch::Tensor batch = images_from_numpy(images, "images");
        const py::array as_given = py::array::ensure(images);
        if (as_given && as_given.ndim() == 3) return stats_dict(image::image_stats(batch[0]));
        py::list per_image;
        for (int64_t k = 0; k < batch.size(0); ++k) {
          per_image.append(stats_dict(image::image_stats(batch[k])));
        }
        return std::move(per_image);
      },
      py::arg("images"),
      "Summary numbers of a uint8 (H, W, 3) image, as glide sweep's CSV gives them: mean_r, "
      "mean_g, mean_b, mean_luminance (Rec. 601), contrast (std of the luminance), saturation "
      "(mean HSV), sharpness (variance of the luminance's Laplacian), all on [0, 1] pixels. A "
      "(B, H, W, 3) batch gives a list, one dict per image.");
}

}  // namespace glide::python
