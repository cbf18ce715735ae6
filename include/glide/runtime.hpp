#pragma once

#include <string>
#include <vector>

namespace glide {

// LibTorch's CPU thread pools. Debian's LibTorch starts with one thread; glide's entry points
// (pipeline, command line, C ABI) call ensure_threads() so that work uses every core unless the
// user chose otherwise. `threads` 0 means the number of cores (or $GLIDE_NUM_THREADS); a negative
// count or one over 1024 throws glide::Error(invalid_argument).
// Both also flush denormals to zero and, on glibc, keep freed memory in the process for reuse
// instead of unmapping it (docs/performance.md; $GLIDE_MALLOC_TUNING=0 turns that off).
void set_num_threads(int threads);
// The most threads set_num_threads() takes: beyond it a typo (LibTorch starts every thread it is
// told to; 100,000 of them filled memory for a minute before the first step).
constexpr int kMaxThreads = 1024;
// The threads work uses; before any entry point has chosen, the count ensure_threads() will set
// (throws as set_num_threads(0) for a bad $GLIDE_NUM_THREADS). Asking changes nothing.
int num_threads();
// Sets the default once per process, unless set_num_threads() was called first.
void ensure_threads();

// Flushes denormals in the calling thread for its lifetime, then restores the thread's own
// floating-point mode. The C ABI and the Python module wrap their calls in one: glide's flushing
// (above) would otherwise stay on in the caller's thread and change its arithmetic (Python's
// float('5e-324') read as 0). A no-op where the CPU has no such mode (not x86).
class ScopedFlushDenormals {
 public:
  ScopedFlushDenormals();
  ~ScopedFlushDenormals();
  ScopedFlushDenormals(const ScopedFlushDenormals&) = delete;
  ScopedFlushDenormals& operator=(const ScopedFlushDenormals&) = delete;

 private:
  unsigned saved_mode_ = 0;
};

// An on/off environment variable such as GLIDE_CUDA_GRAPHS: unset or empty gives
// `default_value`, "0" false, "1" true; any other value throws glide::Error(invalid_argument)
// naming the variable, its value and the two allowed ones, rather than guessing.
bool env_switch(const char* name, bool default_value);

// A named choice such as GLIDE_ATTENTION: unset or empty gives `default_value`; a value not in
// `allowed` throws glide::Error(invalid_argument) naming the variable, its value and the allowed
// ones.
std::string env_choice(const char* name, const std::vector<std::string>& allowed,
                       const std::string& default_value);

}  // namespace glide
