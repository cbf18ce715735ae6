#include "arrays.hpp"

#include <cstring>
#include <string>
#include <vector>

#include "glide/error.hpp"
#include "pipeline/out_of_memory.hpp"

namespace py = pybind11;

namespace glide::python {
namespace {

[[noreturn]] void invalid(const std::string& message) {
  throw Error(Status::invalid_argument, message);
}

std::string shape_of(const py::array& a) {
  std::string s = "(";
  for (py::ssize_t i = 0; i < a.ndim(); ++i) {
    s += (i ? ", " : "") + std::to_string(a.shape(i));
  }
  return s + (a.ndim() == 1 ? ",)" : ")");
}

std::string dtype_of(const py::array& a) {
  return py::str(a.dtype()).cast<std::string>();
}

py::array as_array(const py::handle& obj, const char* name) {
  // numpy.asarray: keeps the dtype, copies only if needed; null (error cleared) on failure.
  py::array a = py::array::ensure(obj);
  if (a) return a;
  invalid(std::string(name) + " cannot be converted to a numpy array (got " +
          py::str(py::type::of(obj).attr("__name__")).cast<std::string>() + ")");
}

// `what`: the argument's name and what it must be.
void require_positive_sizes(const py::array& a, const std::string& what) {
  for (py::ssize_t i = 0; i < a.ndim(); ++i) {
    if (a.shape(i) == 0) invalid(what + "; got shape " + shape_of(a) + ", which is empty");
  }
}

// A copy of a C-contiguous uint8 view of `a` as a tensor of `shape`.
torch::Tensor copy_uint8(const py::array& a, std::vector<int64_t> shape) {
  // forcecast turns a bool mask into 0/1 bytes; other dtypes were rejected before.
  auto contiguous = py::array_t<uint8_t, py::array::c_style | py::array::forcecast>::ensure(a);
  if (!contiguous) {  // the dtype was checked: numpy had no memory for the copy (and said so to
                      // ensure(), which cleared its error)
    throw Error(Status::out_of_memory, "no memory for a contiguous copy of a " + dtype_of(a) +
                                           " array of shape " + shape_of(a) + " (" +
                                           std::to_string(a.size()) + " bytes); " +
                                           pipeline::kOutOfMemoryAdvice);
  }
  torch::Tensor out = torch::empty(shape, torch::kUInt8);
  std::memcpy(out.data_ptr<uint8_t>(), contiguous.data(), static_cast<size_t>(out.numel()));
  return out;
}

}  // namespace

torch::Tensor images_from_numpy(const py::handle& obj, const char* name) {
  const std::string expected = " must be uint8 RGB of shape (H, W, 3) or (B, H, W, 3)";
  if (obj.is_none()) invalid(std::string(name) + expected + "; got None");
  const py::array a = as_array(obj, name);
  if (!a.dtype().is(py::dtype::of<uint8_t>())) {
    // The conversion depends on what the values mean: 0..255 integers (a nested list of ints
    // becomes int64) only change type, [0, 1] floats are scaled, and False/True are 0/255.
    // Other kinds (objects, strings, complex numbers) are no pixels at all.
    const char kind = a.dtype().kind();
    const std::string hint =
        kind == 'i' || kind == 'u'
            ? " (convert 0..255 integers with numpy.asarray(x).clip(0, 255).astype(numpy.uint8))"
        : kind == 'f'
            ? " (convert [0, 1] floats with (x * 255).round().clip(0, 255).astype(numpy.uint8))"
        : kind == 'b' ? " (convert a bool image with x.astype(numpy.uint8) * 255)"
                      : ", which holds no pixel values";
    invalid(std::string(name) + expected + "; got dtype " + dtype_of(a) + hint);
  }
  if ((a.ndim() != 3 && a.ndim() != 4) || a.shape(a.ndim() - 1) != 3) {
    invalid(std::string(name) + expected + "; got shape " + shape_of(a));
  }
  require_positive_sizes(a, name + expected);
  const int64_t batch = a.ndim() == 4 ? a.shape(0) : 1;
  const py::ssize_t h = a.shape(a.ndim() - 3), w = a.shape(a.ndim() - 2);
  return copy_uint8(a, {batch, h, w, 3});
}

torch::Tensor mask_from_numpy(const py::handle& obj, const char* name) {
  const py::array a = as_array(obj, name);
  const std::string expected =
      " must be a bool or uint8 keep-mask (nonzero = keep) of shape (H, W) or (B, H, W)";
  const bool is_bool = a.dtype().is(py::dtype::of<bool>());
  if (!is_bool && !a.dtype().is(py::dtype::of<uint8_t>())) {
    invalid(std::string(name) + expected + "; got dtype " + dtype_of(a) +
            " (convert with (mask > 0.5).astype(numpy.uint8))");
  }
  if (a.ndim() != 2 && a.ndim() != 3) {
    invalid(std::string(name) + expected + "; got shape " + shape_of(a));
  }
  // An (H, W, channels) picture of a mask would be read as H masks a few pixels wide.
  if (a.ndim() == 3 && (a.shape(2) == 1 || a.shape(2) == 3 || a.shape(2) == 4)) {
    invalid(std::string(name) + expected + "; got shape " + shape_of(a) +
            ", an (H, W, channels) image? Pass one channel, e.g. " + name + "[..., 0]");
  }
  require_positive_sizes(a, name + expected);
  const int64_t batch = a.ndim() == 3 ? a.shape(0) : 1;
  return copy_uint8(a, {batch, a.shape(a.ndim() - 2), a.shape(a.ndim() - 1)});
}

namespace {

// A copy of `t` as a numpy array of element type T (`dtype` in LibTorch's terms), same shape.
template <typename T>
py::array_t<T> copy_to_numpy(const torch::Tensor& t, torch::Dtype dtype) {
  const torch::Tensor c = t.to(torch::kCPU, dtype).contiguous();
  std::vector<py::ssize_t> shape(c.sizes().begin(), c.sizes().end());
  py::array_t<T> out(shape);
  std::memcpy(out.mutable_data(), c.data_ptr<T>(), static_cast<size_t>(c.numel()) * sizeof(T));
  return out;
}

}  // namespace

py::array_t<uint8_t> to_numpy(const torch::Tensor& images) {
  return copy_to_numpy<uint8_t>(images, torch::kUInt8);
}

py::array_t<float> float_to_numpy(const torch::Tensor& values) {
  return copy_to_numpy<float>(values, torch::kFloat);
}

}  // namespace glide::python
