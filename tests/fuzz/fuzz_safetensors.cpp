// Fuzzes the safetensors header parser and the tensor views built from it, on a whole file's
// bytes held in memory.
#include "glide/error.hpp"
#include "io/safetensors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace detail = glide::io::detail;
  try {
    const auto layout = detail::parse_safetensors(data, size, "fuzz");
    const auto tensors = detail::safetensors_state_dict(layout, data, nullptr, "fuzz");
    for (const auto& [name, t] : tensors.items()) (void)t.clone();  // reads every byte viewed
    (void)tensors.parameter_count();
  } catch (const glide::Error&) {
    // Refusing bad input is the expected outcome.
  }
  return 0;
}
