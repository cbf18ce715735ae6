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

namespace {

// what() is a C string: a NUL quoted from a file (a key, a name) would cut the message short
// there, so it is spelled out instead.
std::string without_nul(const std::string& message) {
  if (message.find('\0') == std::string::npos) return message;
  std::string out;
  for (const char c : message) {
    if (c == '\0') {
      out += "\\x00";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

Error::Error(Status status, const std::string& message)
    : std::runtime_error(without_nul(message)), status_(status) {}

const char* version_string() {
  return GLIDE_VERSION_STRING;
}

}  // namespace glide
