#include "glide/runtime.hpp"

#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <atomic>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <pthread.h>
#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>
#define GLIDE_HAS_MXCSR 1
#endif

#include "glide/error.hpp"

namespace glide {
namespace {

std::atomic<bool> threads_chosen{false};
std::mutex choosing;  // one first choice at a time
// Whether work has been given more than one thread: GNU OpenMP then keeps a pool of workers,
// even after the count goes back to one.
std::atomic<bool> ran_threads{false};
// Set in a child that fork() made from a process whose work had more than one thread.
std::atomic<bool> forked_from_threads{false};

// GNU OpenMP's thread pool does not survive fork(): a child whose parent had run parallel work
// waits forever on the parent's workers at its first parallel region (multiprocessing's default
// start method on Linux). The child works on one thread instead, which needs no pool.
void after_fork_in_child() {
  if (!ran_threads.load()) return;
  at::set_num_threads(1);
  forked_from_threads = true;
}

void set_torch_threads(int n) {
  at::set_num_threads(n);
  if (n > 1) ran_threads = true;
}

void handle_fork_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    // A fork while another thread chooses would leave `choosing` locked in the child, which has
    // no such thread: the fork waits for the choice instead.
    pthread_atfork([] { choosing.lock(); }, [] { choosing.unlock(); },
                   [] {
                     choosing.unlock();
                     after_fork_in_child();
                   });
  });
}

int default_threads() {
  if (const char* env = std::getenv("GLIDE_NUM_THREADS"); env && *env) {
    char* end = nullptr;
    const long n = std::strtol(env, &end, 10);
    if (*end != '\0' || n <= 0 || n > kMaxThreads) {
      throw Error(Status::invalid_argument,
                  fmt::format("GLIDE_NUM_THREADS=\"{}\" is not a thread count from 1 to {}", env,
                              kMaxThreads));
    }
    return static_cast<int>(n);
  }
  const unsigned cores = std::thread::hardware_concurrency();
  return cores > 0 ? static_cast<int>(cores) : 1;
}

// Denormal floats make x86 arithmetic up to a hundred times slower, and they appear in long
// training runs (optimizer moments, averages). Flush them to zero, in this thread before the
// intra-op pool starts so its workers inherit the setting.
void flush_denormals() {
  at::globalContext().setFlushDenormal(true);
}

// glibc hands allocations above a (dynamic, at most 32 MiB) threshold to mmap and gives freed heap
// tops back to the kernel; a denoising step allocates and frees hundreds of such activations, so
// each one costs fresh page faults (measured: a third of a CPU step in the kernel). Keeping freed
// memory in the process makes it reusable at once; the resident size then stays at its peak, as
// with any caching allocator. GLIDE_MALLOC_TUNING=0 leaves glibc's defaults.
void tune_allocator() {
#ifdef __GLIBC__
  static std::once_flag once;
  std::call_once(once, [] {
    if (!env_switch("GLIDE_MALLOC_TUNING", true)) return;
    constexpr int kOneGiB = 1 << 30;
    mallopt(M_MMAP_THRESHOLD, kOneGiB);
    mallopt(M_TRIM_THRESHOLD, kOneGiB);
  });
#endif
}

}  // namespace

bool env_switch(const char* name, bool default_value) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') return default_value;
  const std::string text = value;
  if (text == "0") return false;
  if (text == "1") return true;
  throw Error(Status::invalid_argument,
              fmt::format("{}=\"{}\" must be 0 (off) or 1 (on); unset, it is {}", name, text,
                          default_value ? 1 : 0));
}

std::string env_choice(const char* name, const std::vector<std::string>& allowed,
                       const std::string& default_value) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') return default_value;
  for (const auto& choice : allowed) {
    if (choice == value) return choice;
  }
  throw Error(Status::invalid_argument,
              fmt::format("{}=\"{}\" must be one of {}; unset, it is {}", name, value,
                          fmt::join(allowed, ", "), default_value));
}

void set_num_threads(int threads) {
  if (threads < 0) {
    throw Error(Status::invalid_argument,
                fmt::format("threads is {}; expected 0 for one per core, or 1 to {}", threads,
                            kMaxThreads));
  }
  if (threads > kMaxThreads) {
    throw Error(Status::invalid_argument,
                fmt::format("threads is {}; expected at most {} (this machine has {} cores), or 0 "
                            "for one per core",
                            threads, kMaxThreads, std::thread::hardware_concurrency()));
  }
  const int n = threads > 0 ? threads : default_threads();
  if (n > 1 && forked_from_threads.load()) {
    throw Error(
        Status::unsupported,
        fmt::format("threads is {} ({} threads), but this process was forked from one that ran "
                    "LibTorch's threads, which cannot start again after fork(); it works "
                    "on one thread (to use more, start it with spawn, as "
                    "multiprocessing.get_context(\"spawn\") does)",
                    threads, n));
  }
  const std::lock_guard<std::mutex> lock(choosing);
  flush_denormals();
  tune_allocator();
  handle_fork_once();
  set_torch_threads(n);
  threads_chosen = true;
}

#ifdef GLIDE_HAS_MXCSR
// MXCSR's flush-to-zero (bit 15) and denormals-are-zero (bit 6), as setFlushDenormal sets them.
constexpr unsigned kFlushDenormalBits = 0x8040;
ScopedFlushDenormals::ScopedFlushDenormals() : saved_mode_(_mm_getcsr()) {
  _mm_setcsr(saved_mode_ | kFlushDenormalBits);
}
ScopedFlushDenormals::~ScopedFlushDenormals() {
  _mm_setcsr(saved_mode_);
}
#else
ScopedFlushDenormals::ScopedFlushDenormals() = default;
ScopedFlushDenormals::~ScopedFlushDenormals() = default;
#endif

int num_threads() {
  // Before any work has chosen, the count the first work will use (not LibTorch's start of one);
  // asking changes nothing.
  return threads_chosen.load() ? at::get_num_threads() : default_threads();
}

void ensure_threads() {
  if (threads_chosen.load()) return;
  const std::lock_guard<std::mutex> lock(choosing);
  if (threads_chosen.load()) return;
  // A bad $GLIDE_NUM_THREADS throws here, before anything is chosen, so every later call says so
  // again rather than working on LibTorch's one thread.
  const int n = default_threads();
  flush_denormals();
  tune_allocator();
  handle_fork_once();
  set_torch_threads(n);
  threads_chosen = true;
}

}  // namespace glide
