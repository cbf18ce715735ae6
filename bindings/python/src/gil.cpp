#include "gil.hpp"

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace glide::python {
namespace {

std::mutex state_mutex;
std::condition_variable state_changed;
int released_regions = 0;  // GilReleased regions open, in any thread
bool exiting = false;
std::thread::id exiting_thread;

bool must_wait(const std::unique_lock<std::mutex>&) {
  return exiting && std::this_thread::get_id() != exiting_thread;
}

[[noreturn]] void wait_forever() {
  for (;;) std::this_thread::sleep_for(std::chrono::hours(1));
}

// Leaves a GilReleased region for good: the exit need not wait for it.
[[noreturn]] void park(std::unique_lock<std::mutex>& lock) {
  --released_regions;
  state_changed.notify_all();
  lock.unlock();
  wait_forever();
}

}  // namespace

void drain_at_exit() {
  {
    const std::lock_guard<std::mutex> lock(state_mutex);
    exiting = true;
    exiting_thread = std::this_thread::get_id();
  }
  PyThreadState* state = PyEval_SaveThread();  // lets the others take the GIL back and return
  {
    // Bounded: a thread may wait inside its region for a lock that a parked one holds (two
    // threads sharing a pipeline); past the bound, exit goes on as it did without the hook.
    std::unique_lock<std::mutex> lock(state_mutex);
    state_changed.wait_for(lock, std::chrono::seconds(30), [] { return released_regions == 0; });
  }
  PyEval_RestoreThread(state);
}

GilReleased::GilReleased() {
  std::unique_lock<std::mutex> lock(state_mutex);
  if (must_wait(lock)) {  // a call begun after exit began: it will not be waited for
    lock.unlock();
    PyEval_SaveThread();
    wait_forever();
  }
  ++released_regions;
  lock.unlock();
  state_ = PyEval_SaveThread();
}

GilReleased::~GilReleased() {
  {
    std::unique_lock<std::mutex> lock(state_mutex);
    if (must_wait(lock)) park(lock);
  }
  // Before exit begins, or while drain_at_exit waits with the GIL released: taking it is safe.
  PyEval_RestoreThread(state_);
  const std::lock_guard<std::mutex> lock(state_mutex);
  --released_regions;
  state_changed.notify_all();
}

void wait_if_exiting() {
  std::unique_lock<std::mutex> lock(state_mutex);
  if (must_wait(lock)) park(lock);
}

}  // namespace glide::python
