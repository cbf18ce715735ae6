#pragma once

#include <pybind11/pybind11.h>

namespace glide::python {

// Creates glide.GlideError (RuntimeError) and glide.Cancelled (KeyboardInterrupt) in `m` and
// translates glide::Error by status: invalid_argument → ValueError, not_found →
// FileNotFoundError, cancelled → Cancelled, anything else → GlideError. Each raised exception
// carries the status name as `.status`.
void register_errors(pybind11::module_& m);

}  // namespace glide::python
