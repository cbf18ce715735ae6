#pragma once

namespace glide {

// LibTorch's CPU thread pools. Debian's LibTorch starts with one thread; glide's entry points
// (pipeline, command line, C ABI) call ensure_threads() so that work uses every core unless the
// user chose otherwise. `threads` <= 0 means the number of cores (or $GLIDE_NUM_THREADS).
// Both also flush denormals to zero and, on glibc, keep freed memory in the process for reuse
// instead of unmapping it (docs/performance.md; $GLIDE_MALLOC_TUNING=0 turns that off).
void set_num_threads(int threads);
int num_threads();
// Sets the default once per process, unless set_num_threads() was called first.
void ensure_threads();

}  // namespace glide
