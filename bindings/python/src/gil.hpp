#pragma once

// The GIL for threads that run glide's long calls. CPython before 3.14 ends a thread that takes
// the GIL while the interpreter finalizes (a daemon thread still sampling or training when the
// script ends) with pthread_exit, whose forced unwinding through C++ frames (a destructor, which
// cannot throw) aborts the process. Such a thread waits instead, and ends with the process.
#include <Python.h>
#include <pybind11/pybind11.h>

#include <chrono>
#include <thread>

namespace glide::python {

inline void wait_forever_if_finalizing() {
#if PY_VERSION_HEX >= 0x030D0000
  const bool finalizing = Py_IsFinalizing() != 0;
#else
  const bool finalizing = _Py_IsFinalizing() != 0;
#endif
  if (!finalizing) return;
  for (;;) std::this_thread::sleep_for(std::chrono::hours(1));
}

// py::gil_scoped_release whose taking back of the GIL waits at interpreter exit.
class GilReleased {
 public:
  GilReleased() : state_(PyEval_SaveThread()) {}
  ~GilReleased() {
    wait_forever_if_finalizing();
    PyEval_RestoreThread(state_);
  }
  GilReleased(const GilReleased&) = delete;
  GilReleased& operator=(const GilReleased&) = delete;

 private:
  PyThreadState* state_;
};

// py::gil_scoped_acquire that waits at interpreter exit (for callbacks from a GilReleased call).
class GilTaken {
 public:
  GilTaken() = default;

 private:
  bool checked_ = (wait_forever_if_finalizing(), true);  // before gil_ is taken
  pybind11::gil_scoped_acquire gil_;
};

}  // namespace glide::python
