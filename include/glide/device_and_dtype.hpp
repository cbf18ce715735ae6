#pragma once

// Devices and compute dtypes by the names glide's command line, C ABI and Python module take,
// and whether a pair can run. Each error is glide::Error(invalid_argument) naming `what` (the
// caller's name for the value: "device", "params->dtype", ...), the value and what is allowed.
#include <c10/core/Device.h>
#include <c10/core/ScalarType.h>

#include <string>

namespace glide {

// "cpu", "cuda" or "cuda:N".
c10::Device parse_device(const std::string& text, const std::string& what = "device");
// "float32", "float16" or "bfloat16".
c10::ScalarType parse_dtype(const std::string& text, const std::string& what = "dtype");

// Whether glide can compute in `dtype` on `device`: a CUDA device needs a LibTorch with CUDA that
// sees it; float16 needs CUDA (LibTorch's CPU kernels lack float16 matrix products). Errors name
// the arguments `prefix` + "device" and `prefix` + "dtype" ("params->" in the C ABI).
void check_device_and_dtype(const c10::Device& device, c10::ScalarType dtype,
                            const std::string& prefix = "");

}  // namespace glide
