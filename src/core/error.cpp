#include "glide/error.hpp"

#include "glide/version.hpp"

namespace glide {

const char* status_name(Status status) {
  switch (status) {
    case Status::ok: return "ok";
    case Status::invalid_argument: return "invalid argument";
    case Status::not_found: return "not found";
    case Status::invalid_format: return "invalid format";
    case Status::unsupported: return "unsupported";
    case Status::out_of_memory: return "out of memory";
    case Status::cancelled: return "cancelled";
    case Status::io_error: return "I/O error";
    case Status::internal: return "internal error";
  }
  return "unknown status";
}

Error::Error(Status status, const std::string& message)
    : std::runtime_error(message), status_(status) {}

const char* version_string() {
  return GLIDE_VERSION_STRING;
}

}  // namespace glide
