#pragma once

// CPU autocast's switch and dtype across LibTorch versions: 2.4 replaced the *_cpu_* functions
// with ones taking a device type, and later releases removed the old ones.
#include <ATen/autocast_mode.h>
#include <torch/version.h>

#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
#define GLIDE_AUTOCAST_BY_DEVICE_TYPE 1
#endif

namespace glide::training {

inline bool cpu_autocast_enabled() {
#ifdef GLIDE_AUTOCAST_BY_DEVICE_TYPE
  return at::autocast::is_autocast_enabled(at::kCPU);
#else
  return at::autocast::is_cpu_enabled();
#endif
}

inline at::ScalarType cpu_autocast_dtype() {
#ifdef GLIDE_AUTOCAST_BY_DEVICE_TYPE
  return at::autocast::get_autocast_dtype(at::kCPU);
#else
  return at::autocast::get_autocast_cpu_dtype();
#endif
}

inline void set_cpu_autocast(bool enabled, at::ScalarType dtype) {
#ifdef GLIDE_AUTOCAST_BY_DEVICE_TYPE
  at::autocast::set_autocast_dtype(at::kCPU, dtype);
  at::autocast::set_autocast_enabled(at::kCPU, enabled);
#else
  at::autocast::set_autocast_cpu_dtype(dtype);
  at::autocast::set_cpu_enabled(enabled);
#endif
}

}  // namespace glide::training
