// A check that must run before any shared library's constructor, so it lives in the program's
// DT_PREINIT_ARRAY (glibc runs the executable's preinit functions first; libraries' constructors,
// OpenBLAS's among them, after). Only system calls here: the C library is not initialised yet.
#include <sched.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>

namespace {

constexpr uint64_t kMiB = uint64_t{1} << 20;
// OpenBLAS (LibTorch's BLAS on Debian) mallocs one buffer of 128 MiB + 4 KiB per OpenMP thread
// when it loads, and retries forever when the address-space limit refuses one; glide then hangs
// before main. Measured: 2 threads start with ulimit -v 900000 and spin at 800000.
// Each thread but the main one also maps a stack (8 MiB by default).
constexpr uint64_t kPerThread = 129 * kMiB;
constexpr uint64_t kStack = 8 * kMiB;
constexpr uint64_t kHeadroom = 64 * kMiB;

void put(const char* text) {
  size_t n = 0;
  while (text[n] != '\0') ++n;
  while (n > 0) {
    const ssize_t k = ::write(STDERR_FILENO, text, n);
    if (k <= 0) return;
    text += k;
    n -= static_cast<size_t>(k);
  }
}

void put_number(uint64_t value) {
  char digits[24];
  char* p = digits + sizeof(digits) - 1;
  *p = '\0';
  do {
    *--p = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value > 0);
  put(p);
}

// The number in the environment variable `name` (e.g. "OMP_NUM_THREADS="), or 0.
uint64_t number_in(char** envp, const char* name) {
  for (char** e = envp; e && *e; ++e) {
    size_t i = 0;
    while (name[i] != '\0' && (*e)[i] == name[i]) ++i;
    if (name[i] != '\0') continue;
    uint64_t n = 0;
    for (const char* c = *e + i; *c >= '0' && *c <= '9' && n < 4096; ++c) n = n * 10 + (*c - '0');
    return n;
  }
  return 0;
}

// The threads OpenBLAS sizes its buffers for: the count its variables ask for (OPENBLAS_ before
// GOTO_ before OMP_NUM_THREADS), at most the CPUs we may run on.
uint64_t blas_threads(char** envp) {
  uint64_t cpus = 1;
  cpu_set_t set;
  if (::sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0) {
    cpus = static_cast<uint64_t>(CPU_COUNT(&set));
  }
  static const char* const kNames[] = {
      "OPENBLAS_NUM_THREADS=", "GOTO_NUM_THREADS=", "OMP_NUM_THREADS="};
  for (const char* name : kNames) {
    const uint64_t asked = number_in(envp, name);
    if (asked > 0) return asked < cpus ? asked : cpus;
  }
  return cpus;
}

// Under an address-space limit (ulimit -v), the libraries are already mapped; what must still
// fit is OpenBLAS's buffers. Reserving (not touching) that much tells whether they will.
void refuse_an_address_space_too_small_to_start(int, char**, char** envp) {
  struct rlimit limit;
  if (::getrlimit(RLIMIT_AS, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return;
  const uint64_t threads = blas_threads(envp);
  const uint64_t needed = threads * kPerThread + (threads - 1) * kStack + kHeadroom;
  void* probe =
      ::mmap(nullptr, needed, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (probe != MAP_FAILED) {
    ::munmap(probe, needed);
    return;
  }
  put("glide: error (out of memory): the address-space limit (ulimit -v: ");
  put_number(static_cast<uint64_t>(limit.rlim_cur) / kMiB);
  put(" MiB) leaves too little room to start: LibTorch's BLAS (OpenBLAS) reserves 128 MiB per "
      "thread (");
  put_number(threads);
  put(threads == 1 ? " thread" : " threads");
  put(") as it loads, and would retry forever. Raise the limit (ulimit -v unlimited), run fewer "
      "threads (OMP_NUM_THREADS=1), or cap resident memory instead (systemd-run --user --scope "
      "-p MemoryMax=4G glide ...)\n");
  ::_exit(1);
}

}  // namespace

__attribute__((section(".preinit_array"), used)) void (*const glide_preinit_address_space)(
    int, char**, char**) = refuse_an_address_space_too_small_to_start;
