#pragma once

// Running out of memory, said in glide's terms. LibTorch reports it as c10::OutOfMemoryError
// (CUDA's caching allocator) or, for the CPU allocator of LibTorch 1.13, as a plain c10::Error
// saying it "can't allocate memory"; both come out of the pipeline as glide::Error(out_of_memory)
// naming what was running and what to try, without LibTorch's backtrace.
#include <c10/util/Exception.h>

#include <string>
#include <utility>

namespace glide::pipeline {

bool is_out_of_memory(const c10::Error& e);

// LibTorch's words for it in one line, without its backtrace; the CPU allocator's "[enforce fail
// at ...] ... you tried to allocate N bytes. Error code ..." becomes "could not allocate N bytes".
std::string out_of_memory_detail(const c10::Error& e);

// What to try when memory ran out outside the sampling loops (which name what was running), e.g.
// preparing a large input image.
inline constexpr const char kOutOfMemoryAdvice[] = "try smaller images or a smaller batch";

// out_of_memory_detail and that advice, for failures outside the sampling loops.
std::string out_of_memory_message(const c10::Error& e);

// The message for `context` (e.g. "stage base, batch 16 on cuda:0 in float16") and LibTorch's
// own words.
[[noreturn]] void throw_out_of_memory(const std::string& context, const c10::Error& e,
                                      bool on_cuda);

// Runs `work`, turning LibTorch's out-of-memory failures into glide::Error(out_of_memory).
template <typename Work>
decltype(auto) translating_out_of_memory(const std::string& context, bool on_cuda, Work&& work) {
  try {
    return std::forward<Work>(work)();
  } catch (const c10::Error& e) {
    if (is_out_of_memory(e)) throw_out_of_memory(context, e, on_cuda);
    throw;
  }
}

}  // namespace glide::pipeline
