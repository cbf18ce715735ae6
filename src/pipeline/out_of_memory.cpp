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

void throw_out_of_memory(const std::string& context, const c10::Error& e, bool on_cuda) {
  std::string detail = e.what_without_backtrace();
  detail = detail.substr(0, detail.find('\n'));
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
