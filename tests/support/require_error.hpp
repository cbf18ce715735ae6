#pragma once

// Runs `f` and requires a glide::Error with this status whose message contains `part`.
#include <string>

#include "glide/error.hpp"
#include "support/catch_torch.hpp"

namespace glide::test {

template <typename F>
void require_error(F&& f, const std::string& part, Status status = Status::invalid_format) {
  try {
    f();
    FAIL("expected a glide::Error mentioning '" << part << "'");
  } catch (const Error& e) {
    INFO(e.what());
    CHECK(std::string(e.what()).find(part) != std::string::npos);
    CHECK(e.status() == status);
  }
}

// Runs `fn`, requires it to throw glide::Error with `status`, and returns the message.
template <typename F>
std::string error_of(F&& fn, Status status) {
  try {
    fn();
  } catch (const Error& e) {
    CHECK(e.status() == status);
    return e.what();
  }
  FAIL("expected glide::Error(" << status_name(status) << ")");
  return {};
}

}  // namespace glide::test
