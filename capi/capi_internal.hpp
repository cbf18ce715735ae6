#pragma once

// What every C entry point shares: the per-thread error message, argument checks, and the one
// place where C++ exceptions become glide_status codes.
#include <cfenv>
#include <cstdint>
#include <cstring>
#include <string>

#include "glide.h"
#include "glide/runtime.hpp"

namespace glide::capi {

// Thrown by the checks below; carries a status the C++ API has no name for (wrong version,
// short buffer) as well as the ordinary ones.
struct CError {
  int status;
  std::string message;
};

void clear_error() noexcept;

// Called from inside a catch block only: stores "function: message" and returns the status of
// the exception being handled (glide::Error, CError, c10::Error, std::bad_alloc, anything else).
int handle_exception(const char* function) noexcept;

// Rounds to nearest for its lifetime, then restores the caller's rounding mode: images must not
// depend on a C program's fesetround() (glide's arithmetic, and LibTorch's, assume nearest).
class ScopedRoundToNearest {
 public:
  ScopedRoundToNearest() noexcept : caller_mode_(std::fegetround()) {
    if (caller_mode_ != FE_TONEAREST) std::fesetround(FE_TONEAREST);
  }
  // Checked against the mode now, not the one set: a progress callback may have changed it.
  ~ScopedRoundToNearest() {
    if (std::fegetround() != caller_mode_) std::fesetround(caller_mode_);
  }
  ScopedRoundToNearest(const ScopedRoundToNearest&) = delete;
  ScopedRoundToNearest& operator=(const ScopedRoundToNearest&) = delete;

 private:
  int caller_mode_;
};

// Runs body() for the entry point `function`: 0 on success, else the negative status of whatever
// it threw, with the message stored for glide_error_last(). Nothing escapes.
template <typename Body>
int guarded(const char* function, Body&& body) noexcept {
  clear_error();
  const glide::ScopedFlushDenormals caller_float_mode;  // left as the C program had it
  const ScopedRoundToNearest caller_rounding;
  try {
    body();
    // A progress callback may have made a failing glide call meanwhile: a success leaves "".
    clear_error();
    return GLIDE_OK;
  } catch (...) {
    return handle_exception(function);
  }
}

[[noreturn]] void fail(int status, const std::string& message);

template <typename T>
void require_arg(const T* p, const char* name) {
  if (!p) fail(GLIDE_ERROR_INVALID_ARGUMENT, std::string("argument '") + name + "' is NULL");
}

// Versioned structs only ever gain fields at their end; `sizes[v]` is the size of version v
// (the offset of version v + 1's first field), sizes[0] unused.
template <size_t N>
size_t struct_size(uint32_t version, const size_t (&sizes)[N], const char* name) {
  if (version == 0 || version >= N) {
    fail(GLIDE_ERROR_VERSION, std::string(name) + "->version is " + std::to_string(version) +
                                  "; this library knows versions 1 to " + std::to_string(N - 1) +
                                  " (set it with the header's version macro)");
  }
  return sizes[version];
}

// A caller's struct of any known version read as the current one: fields the caller's version
// lacks keep the defaults `full` was initialised with.
template <typename T, size_t N>
void read_versioned(const T& in, const size_t (&sizes)[N], const char* name, T* full) {
  const size_t n = struct_size(in.version, sizes, name);
  std::memcpy(static_cast<void*>(full), &in, n);
}

// Writes the fields of the caller's version of an output struct.
template <typename T, size_t N>
void write_versioned(const T& full, const size_t (&sizes)[N], const char* name, T* out) {
  const uint32_t version = out->version;
  const size_t n = struct_size(version, sizes, name);
  std::memcpy(static_cast<void*>(out), &full, n);
  out->version = version;
}

}  // namespace glide::capi
