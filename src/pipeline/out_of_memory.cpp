#include "pipeline/out_of_memory.hpp"

#include <fmt/format.h>

#include "glide/error.hpp"

namespace glide::pipeline {

bool is_out_of_memory(const c10::Error& e) {
  if (dynamic_cast<const c10::OutOfMemoryError*>(&e)) return true;
  const std::string message = e.what_without_backtrace();
  return message.find("can't allocate memory") != std::string::npos ||
         message.find("not enough memory") != std::string::npos;
}

std::string out_of_memory_detail(const c10::Error& e) {
  std::string detail = e.what_without_backtrace();
  detail = detail.substr(0, detail.find('\n'));
  const std::string tried = "you tried to allocate ";
  if (const size_t at = detail.find(tried); at != std::string::npos) {
    detail = "could not allocate " + detail.substr(at + tried.size());
    detail = detail.substr(0, detail.find(". Error code"));
  }
  return detail;
}

std::string out_of_memory_message(const c10::Error& e) {
  return out_of_memory_detail(e) + "; " + kOutOfMemoryAdvice;
}

void throw_out_of_memory(const std::string& context, const c10::Error& e, bool on_cuda) {
  const std::string detail = out_of_memory_detail(e);
  throw Error(Status::out_of_memory,
              fmt::format("{}: out of memory ({}). Try a smaller batch size or float16/bfloat16{}",
                          context, detail,
                          on_cuda ? ", or free GPU memory held elsewhere "
                                    "(releasing the pipeline's cached networks frees its CUDA "
                                    "graphs: release_cached_networks() in C++ and Python, "
                                    "glide_pipeline_release_cache() in C)"
                                  : ""));
}

}  // namespace glide::pipeline
