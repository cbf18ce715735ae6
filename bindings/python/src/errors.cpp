#include "errors.hpp"

#include <c10/util/Exception.h>

#include <cstring>

#include "glide/error.hpp"
#include "pipeline/out_of_memory.hpp"

namespace py = pybind11;

namespace glide::python {
namespace {

// Owned by the module for the interpreter's lifetime; pybind11's own exception objects are kept
// the same way.
PyObject* glide_error_type = nullptr;
PyObject* cancelled_type = nullptr;

PyObject* create_exception(py::module_& m, const char* name, PyObject* base, const char* doc) {
  const std::string qualified = std::string("glide.") + name;
  PyObject* type = PyErr_NewExceptionWithDoc(qualified.c_str(), doc, base, nullptr);
  if (!type) throw py::error_already_set();
  m.add_object(name, py::reinterpret_borrow<py::object>(type));
  return type;
}

// Raises `type(message)` with `.status` set, so callers can tell glide's failures apart. A message
// may quote a file name that is not UTF-8: its stray bytes read as \xNN, as Python shows them.
void raise(PyObject* type, const char* status, const char* message) {
  const auto text = py::reinterpret_steal<py::object>(PyUnicode_DecodeUTF8(
      message, static_cast<Py_ssize_t>(std::strlen(message)), "backslashreplace"));
  if (!text) throw py::error_already_set();
  py::object exc = py::reinterpret_borrow<py::object>(type)(text);
  exc.attr("status") = status;
  PyErr_SetObject(type, exc.ptr());
}

// The enumerator's name, as Python code would spell it.
const char* status_id(Status status) {
  switch (status) {
    case Status::ok: return "ok";
    case Status::invalid_argument: return "invalid_argument";
    case Status::not_found: return "not_found";
    case Status::invalid_format: return "invalid_format";
    case Status::unsupported: return "unsupported";
    case Status::out_of_memory: return "out_of_memory";
    case Status::cancelled: return "cancelled";
    case Status::io_error: return "io_error";
    case Status::internal: return "internal";
  }
  return "unknown";
}

}  // namespace

void register_errors(py::module_& m) {
  glide_error_type = create_exception(
      m, "GlideError", PyExc_RuntimeError,
      "A failure inside glide that is not a bad argument, a missing file or a cancellation: an "
      "invalid file format, an unsupported feature, an I/O error. `.status` names the kind "
      "(e.g. \"invalid_format\").");
  cancelled_type = create_exception(
      m, "Cancelled", PyExc_KeyboardInterrupt,
      "A progress callable returned False and the call stopped. A KeyboardInterrupt, so it "
      "stops a script like Ctrl-C would unless caught.");
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const glide::Error& e) {
      const char* status = status_id(e.status());
      switch (e.status()) {
        case Status::invalid_argument: raise(PyExc_ValueError, status, e.what()); break;
        case Status::not_found: raise(PyExc_FileNotFoundError, status, e.what()); break;
        case Status::cancelled: raise(cancelled_type, status, e.what()); break;
        default: raise(glide_error_type, status, e.what());
      }
    } catch (const c10::Error& e) {
      // Memory that ran out outside the sampling loops (which say what was running): preparing
      // a large input image, say.
      if (pipeline::is_out_of_memory(e)) {
        const std::string message = pipeline::out_of_memory_message(e);
        raise(glide_error_type, "out_of_memory", message.c_str());
        return;
      }
      // LibTorch's own failures (e.g. a CUDA device that does not exist).
      raise(glide_error_type, "internal", e.what_without_backtrace());
    }
  });
}

void* refuse_unconstructed(std::size_t /*bytes*/) {
  throw py::type_error(
      "this glide object was made by __new__ and its __init__ never completed, so it holds "
      "nothing to read; make it by calling its class instead");
}

}  // namespace glide::python
