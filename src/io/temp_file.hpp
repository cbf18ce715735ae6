#pragma once

#include <cstddef>
#include <string>

namespace glide::io::detail {

// A file being written next to its destination (`dest` + ".tmp-XXXXXX"), removed unless
// committed, so a failed or interrupted save never leaves a half-written checkpoint under the
// destination's name. Every failure is a glide::Error(io_error) naming the destination.
class TempFile {
 public:
  explicit TempFile(const std::string& dest);
  ~TempFile();
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  void write(const void* data, size_t size);
  // Flushes, then moves the file into place atomically. Without `overwrite`, an existing
  // destination is left alone and glide::Error(invalid_argument) says so.
  void commit(bool overwrite);

 private:
  [[noreturn]] void fail(const std::string& problem, int err) const;

  std::string dest_;
  std::string path_;
  int fd_ = -1;
  bool committed_ = false;
};

}  // namespace glide::io::detail
