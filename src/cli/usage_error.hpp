#pragma once

#include <string>

#include "glide/error.hpp"

namespace glide::cli {

// A command line the user must change: a bad flag value or a hyperparameter outside what is
// allowed. main() prints it on one line and exits with status 2 (other errors exit with 1).
class UsageError : public Error {
 public:
  explicit UsageError(const std::string& message) : Error(Status::invalid_argument, message) {}
};

}  // namespace glide::cli
