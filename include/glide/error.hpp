#pragma once

#include <stdexcept>
#include <string>

namespace glide {

// Kinds of failure. The C ABI returns these negated as `glide_status`, so values never change.
enum class Status : int {
  ok = 0,
  invalid_argument = 1,  // a hyperparameter, shape or option outside what is allowed
  not_found = 2,         // a file, key or name that does not exist
  invalid_format = 3,    // a file or string that is not what it claims to be
  unsupported = 4,       // well-formed, but a feature glide does not implement
  out_of_memory = 5,
  cancelled = 6,  // a progress callback asked to stop
  io_error = 7,   // the operating system refused a read or write
  internal = 8,   // a bug in glide
};

const char* status_name(Status status);

// The one exception type glide throws. The message names the file, key, value or option at
// fault and what was expected.
class Error : public std::runtime_error {
 public:
  Error(Status status, const std::string& message);
  Status status() const noexcept { return status_; }

 private:
  Status status_;
};

}  // namespace glide
