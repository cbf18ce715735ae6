#include "glide/device_and_dtype.hpp"

#include <ATen/Context.h>
#include <ATen/detail/CUDAHooksInterface.h>
#include <c10/util/Exception.h>
#include <fmt/format.h>

#include "glide/error.hpp"

namespace glide {
namespace {

[[noreturn]] void invalid(const std::string& message) {
  throw Error(Status::invalid_argument, message);
}

}  // namespace

c10::Device parse_device(const std::string& text, const std::string& what) {
  try {
    const c10::Device device(text);
    // The CPU is one device: "cpu:1" names nothing (LibTorch would accept and ignore it).
    if (device.is_cpu() && (!device.has_index() || device.index() == 0)) return device;
    if (device.is_cuda()) return device;
  } catch (const c10::Error&) {
  }
  invalid(fmt::format("{} is \"{}\"; expected \"cpu\", \"cuda\" or \"cuda:N\"", what, text));
}

c10::ScalarType parse_dtype(const std::string& text, const std::string& what) {
  if (text == "float32") return c10::kFloat;
  if (text == "float16") return c10::kHalf;
  if (text == "bfloat16") return c10::kBFloat16;
  invalid(
      fmt::format("{} is \"{}\"; expected \"float32\", \"float16\" or \"bfloat16\"", what, text));
}

void check_device_and_dtype(const c10::Device& device, c10::ScalarType dtype,
                            const std::string& prefix) {
  const std::string device_name = prefix + "device", dtype_name = prefix + "dtype";
  if (device.is_cuda()) {
    if (!at::hasCUDA()) {
      invalid(
          fmt::format("{} is {}, but this LibTorch has no CUDA support or sees no CUDA "
                      "device; use cpu",
                      device_name, device.str()));
    }
    const int count = at::detail::getCUDAHooks().getNumGPUs();
    if (device.has_index() && device.index() >= count) {
      invalid(fmt::format("{} is {}, but only {} CUDA device(s) are visible", device_name,
                          device.str(), count));
    }
  } else if (!device.is_cpu()) {
    invalid(fmt::format("{} is {}; expected cpu or cuda[:N]", device_name, device.str()));
  }
  if (dtype != c10::kFloat && dtype != c10::kHalf && dtype != c10::kBFloat16) {
    invalid(fmt::format("{} is {}; expected float32, float16 (CUDA only) or bfloat16", dtype_name,
                        c10::toString(dtype)));
  }
  if (dtype == c10::kHalf && device.is_cpu()) {
    invalid(
        fmt::format("{} is float16 and {} is cpu: LibTorch's CPU kernels lack float16 matrix "
                    "products; use float32 or bfloat16 on the CPU, float16 on CUDA",
                    dtype_name, device_name));
  }
}

}  // namespace glide
