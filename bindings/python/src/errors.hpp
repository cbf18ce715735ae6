#pragma once

#include <pybind11/pybind11.h>

#include <cstddef>
#include <typeinfo>

namespace glide::python {

// Creates glide.GlideError (RuntimeError) and glide.Cancelled (KeyboardInterrupt) in `m` and
// translates glide::Error by status: invalid_argument → ValueError, not_found →
// FileNotFoundError, cancelled → Cancelled, anything else → GlideError. Each raised exception
// carries the status name as `.status`.
void register_errors(pybind11::module_& m);

// pybind11 (2.10) hands an object made by `T.__new__(T)`, whose __init__ never ran, raw
// unconstructed memory the first time one of its methods or fields reads it: undefined behaviour,
// a crash on a std::string field. The type's operator_new hook serves only that lazy allocation,
// so a hook that throws TypeError turns the crash into an error. Call once each class is bound.
[[noreturn]] void* refuse_unconstructed(std::size_t bytes);

template <typename Cpp>
void require_init() {
  pybind11::detail::get_type_info(typeid(Cpp))->operator_new = &refuse_unconstructed;
}

}  // namespace glide::python
