#pragma once

// The GIL for glide's long calls, and interpreter exit. CPython before 3.14 ends a thread that
// takes the GIL while the interpreter finalizes (a daemon thread still sampling when the script
// ends) with pthread_exit, whose forced unwinding through a C++ destructor aborts the process;
// and a thread still running glide's C++ code while exit() destroys LibTorch's statics may crash.
// So glide's atexit hook (drain_at_exit, registered by glide/__init__.py) lets every call that
// runs without the GIL either return or reach a point where it waits for the process to end:
// taking the GIL back (GilReleased's end, GilTaken: after each step) once exit has begun.
#include <Python.h>
#include <pybind11/pybind11.h>

namespace glide::python {

// The atexit hook: marks exit as begun and waits (at most 30 s), with the GIL released, until no
// other thread is inside a GilReleased region. Those that return keep running Python (CPython
// ends them); those that would take the GIL back wait for the process to end instead.
void drain_at_exit();

// Releases the GIL for its lifetime (as py::gil_scoped_release); another thread's region that
// ends after exit has begun waits for the process to end instead of taking the GIL back.
class GilReleased {
 public:
  GilReleased();
  ~GilReleased();
  GilReleased(const GilReleased&) = delete;
  GilReleased& operator=(const GilReleased&) = delete;

 private:
  PyThreadState* state_;
};

// Waits for the process to end when exit has begun (on a thread other than the exiting one);
// call it inside a GilReleased region before taking the GIL.
void wait_if_exiting();

// py::gil_scoped_acquire for callbacks inside a GilReleased region, waiting at exit.
class GilTaken {
 public:
  GilTaken() = default;

 private:
  bool checked_ = (wait_if_exiting(), true);  // initialised before gil_ is taken
  pybind11::gil_scoped_acquire gil_;
};

}  // namespace glide::python
