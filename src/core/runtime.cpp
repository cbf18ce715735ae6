#include "glide/runtime.hpp"

#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <fmt/format.h>

#include <atomic>
#include <cstdlib>
#include <string>
#include <thread>

#include "glide/error.hpp"

namespace glide {
namespace {

std::atomic<bool> threads_chosen{false};

int default_threads() {
  if (const char* env = std::getenv("GLIDE_NUM_THREADS"); env && *env) {
    char* end = nullptr;
    const long n = std::strtol(env, &end, 10);
    if (*end != '\0' || n <= 0 || n > 4096) {
      throw Error(Status::invalid_argument,
                  fmt::format("GLIDE_NUM_THREADS=\"{}\" is not a positive thread count", env));
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

}  // namespace

void set_num_threads(int threads) {
  const int n = threads > 0 ? threads : default_threads();
  flush_denormals();
  at::set_num_threads(n);
  threads_chosen = true;
}

int num_threads() {
  return at::get_num_threads();
}

void ensure_threads() {
  if (!threads_chosen.exchange(true)) {
    flush_denormals();
    at::set_num_threads(default_threads());
  }
}

}  // namespace glide
