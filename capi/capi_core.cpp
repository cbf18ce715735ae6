// The C ABI's error handling, versions and tokenizer.
#include "glide/version.hpp"

// glide.h defines the same version macros; it must agree with the CMake project version that
// glide/version.hpp was generated from.
namespace {
constexpr int kProjectMajor = GLIDE_VERSION_MAJOR;
constexpr int kProjectMinor = GLIDE_VERSION_MINOR;
constexpr int kProjectPatch = GLIDE_VERSION_PATCH;
}  // namespace
#undef GLIDE_VERSION_MAJOR
#undef GLIDE_VERSION_MINOR
#undef GLIDE_VERSION_PATCH
#undef GLIDE_VERSION_STRING

#include <c10/util/Exception.h>

#include <algorithm>
#include <new>
#include <string>
#include <vector>

#include "capi_internal.hpp"
#include "core/printable.hpp"
#include "glide.h"
#include "glide/error.hpp"
#include "glide/tokenizer.hpp"
#include "pipeline/out_of_memory.hpp"

static_assert(GLIDE_VERSION_MAJOR == kProjectMajor && GLIDE_VERSION_MINOR == kProjectMinor &&
                  GLIDE_VERSION_PATCH == kProjectPatch,
              "capi/glide.h's GLIDE_VERSION_* differ from project(glide VERSION ...) in "
              "CMakeLists.txt; update the header");
static_assert(static_cast<int>(glide::Status::internal) == -GLIDE_ERROR_INTERNAL &&
                  static_cast<int>(glide::Status::io_error) == -GLIDE_ERROR_IO &&
                  static_cast<int>(glide::Status::invalid_argument) ==
                      -GLIDE_ERROR_INVALID_ARGUMENT,
              "glide_status must mirror glide::Status");

namespace glide::capi {
namespace {

thread_local std::string last_error;

}  // namespace

void clear_error() noexcept {
  last_error.clear();
}

[[noreturn]] void fail(int status, const std::string& message) {
  throw CError{status, message};
}

int handle_exception(const char* function) noexcept {
  // The exception stays alive while the caller's handler runs, so its text can be pointed at.
  int status = GLIDE_ERROR_INTERNAL;
  const char* prefix = "";
  const char* message = "an unknown exception";
  std::string out_of_memory;  // the message when LibTorch ran out of memory outside the loops
  try {
    throw;
  } catch (const CError& e) {
    status = e.status;
    message = e.message.c_str();
  } catch (const Error& e) {
    status = -static_cast<int>(e.status());
    message = e.what();
  } catch (const c10::Error& e) {
    // Memory that ran out outside the sampling loops (which say what was running), e.g. while
    // copying a large input: CUDA's OutOfMemoryError, or the CPU allocator's plain c10::Error.
    if (pipeline::is_out_of_memory(e)) {
      status = GLIDE_ERROR_OUT_OF_MEMORY;
      try {
        out_of_memory = pipeline::out_of_memory_message(e);
        message = out_of_memory.c_str();
      } catch (...) {
        message = "out of memory";
      }
    } else {
      prefix = "LibTorch: ";
      message = e.what_without_backtrace();
    }
  } catch (const std::bad_alloc&) {
    status = GLIDE_ERROR_OUT_OF_MEMORY;
    message = "out of memory";
  } catch (const std::exception& e) {
    message = e.what();
  } catch (...) {
  }
  try {
    // Messages quote paths and names the caller gave, which may not be UTF-8 as glide.h
    // promises its strings are: their stray bytes (and any control character) come out escaped.
    last_error.assign(function).append(": ").append(prefix).append(printable(message));
  } catch (...) {
    last_error.clear();  // no memory even for the message
  }
  return status;
}

}  // namespace glide::capi

using glide::capi::fail;
using glide::capi::guarded;
using glide::capi::require_arg;

extern "C" {

const char* glide_error_last(void) {
  return glide::capi::last_error.c_str();
}

const char* glide_status_name(int status) {
  switch (status) {
    case GLIDE_OK: return "ok";
    case GLIDE_ERROR_VERSION: return "unknown struct version";
    case GLIDE_ERROR_BUFFER_TOO_SMALL: return "buffer too small";
    default: break;
  }
  if (status < 0 && status >= GLIDE_ERROR_INTERNAL) {
    return glide::status_name(static_cast<glide::Status>(-status));
  }
  return "unknown status";
}

const char* glide_version(void) {
  return glide::version_string();
}

int glide_tokenize(const char* utf8, int64_t* ids, size_t capacity, size_t* count) {
  return guarded(__func__, [&] {
    require_arg(utf8, "utf8");
    require_arg(count, "count");
    if (!ids && capacity > 0) {
      fail(GLIDE_ERROR_INVALID_ARGUMENT,
           "argument 'ids' is NULL but capacity is " + std::to_string(capacity));
    }
    const auto tokens = glide::Tokenizer::gpt2().encode(utf8);
    *count = tokens.size();
    if (!ids) return;
    if (capacity < tokens.size()) {
      fail(GLIDE_ERROR_BUFFER_TOO_SMALL, "the text has " + std::to_string(tokens.size()) +
                                             " tokens but capacity is " + std::to_string(capacity));
    }
    std::copy(tokens.begin(), tokens.end(), ids);
  });
}

int glide_tokenize_padded(const char* utf8, int64_t text_ctx, int64_t* tokens, bool* mask) {
  return guarded(__func__, [&] {
    require_arg(utf8, "utf8");
    require_arg(tokens, "tokens");
    // The upper bound only catches sizes no buffer has (2^62 failed inside std::vector).
    constexpr int64_t kMaxTextCtx = int64_t{1} << 20;
    if (text_ctx <= 0 || text_ctx > kMaxTextCtx) {
      fail(GLIDE_ERROR_INVALID_ARGUMENT, "text_ctx is " + std::to_string(text_ctx) +
                                             "; expected 1 to " + std::to_string(kMaxTextCtx) +
                                             " (GLIDE's is 128)");
    }
    const auto& tokenizer = glide::Tokenizer::gpt2();
    const auto padded = tokenizer.padded_tokens_and_mask(
        tokenizer.encode(utf8, static_cast<size_t>(text_ctx)), text_ctx);
    std::copy(padded.tokens.begin(), padded.tokens.end(), tokens);
    if (mask) std::copy(padded.mask.begin(), padded.mask.end(), mask);
  });
}

int glide_detokenize(const int64_t* ids, size_t count, char* text, size_t capacity,
                     size_t* length) {
  return guarded(__func__, [&] {
    if (count > 0) require_arg(ids, "ids");
    require_arg(length, "length");
    constexpr size_t kMaxIds = size_t{1} << 24;  // far more than any text; SIZE_MAX is a bug
    if (count > kMaxIds) {
      fail(GLIDE_ERROR_INVALID_ARGUMENT, "count is " + std::to_string(count) +
                                             "; expected at most " + std::to_string(kMaxIds) +
                                             " ids");
    }
    if (!text && capacity > 0) {
      fail(GLIDE_ERROR_INVALID_ARGUMENT,
           "argument 'text' is NULL but capacity is " + std::to_string(capacity));
    }
    const std::string decoded =
        glide::Tokenizer::gpt2().decode(std::vector<int64_t>(ids, ids + count));
    *length = decoded.size();
    if (!text) return;
    if (capacity <= decoded.size()) {
      fail(GLIDE_ERROR_BUFFER_TOO_SMALL, "the text needs " + std::to_string(decoded.size() + 1) +
                                             " bytes with its NUL but capacity is " +
                                             std::to_string(capacity));
    }
    std::memcpy(text, decoded.c_str(), decoded.size() + 1);
  });
}

int glide_tokenizer_vocab(int64_t* n_vocab, int64_t* end_token) {
  return guarded(__func__, [&] {
    const auto& tokenizer = glide::Tokenizer::gpt2();
    if (n_vocab) *n_vocab = tokenizer.n_vocab();
    if (end_token) *end_token = tokenizer.end_token();
  });
}

}  // extern "C"
