#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <torch/types.h>

namespace glide::python {

// numpy ↔ at::Tensor by copying, so the module needs neither torch's Python package nor numpy's
// headers. Both functions need the GIL.

// Anything numpy.asarray takes (an ndarray, a PIL image, nested lists) holding uint8 RGB of shape
// (H, W, 3) or (B, H, W, 3), as a uint8 (B, H, W, 3) tensor. ValueError names `name`, the
// dtype or shape found, and what was expected.
torch::Tensor images_from_numpy(const pybind11::handle& obj, const char* name);

// A keep-mask (H, W) or (B, H, W) of bool or uint8 (nonzero = keep), as a uint8 (B, H, W)
// tensor.
torch::Tensor mask_from_numpy(const pybind11::handle& obj, const char* name);

// A uint8 tensor of any shape as a new numpy array of the same shape.
pybind11::array_t<uint8_t> to_numpy(const torch::Tensor& images);
// A floating-point tensor of any shape as a new float32 numpy array of the same shape.
pybind11::array_t<float> float_to_numpy(const torch::Tensor& values);

}  // namespace glide::python
