#include "io/temp_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "glide/error.hpp"

namespace glide::io::detail {

TempFile::TempFile(const std::string& dest) : dest_(dest), path_(dest + ".tmp-XXXXXX") {
  fd_ = ::mkstemp(path_.data());
  if (fd_ < 0) fail("cannot create a temporary file next to it", errno);
}

TempFile::~TempFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) ::unlink(path_.c_str());
}

void TempFile::fail(const std::string& problem, int err) const {
  throw Error(Status::io_error, "cannot write '" + dest_ + "': " + problem +
                                    (err ? std::string(": ") + std::strerror(err) : ""));
}

void TempFile::write(const void* data, size_t size) {
  const auto* bytes = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t k = ::write(fd_, bytes, std::min<size_t>(size, size_t{1} << 30));
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) fail("writing failed", k < 0 ? errno : 0);
    bytes += k;
    size -= static_cast<size_t>(k);
  }
}

void TempFile::commit(bool overwrite) {
  if (::fchmod(fd_, 0644) != 0 || ::fsync(fd_) != 0) fail("flushing failed", errno);
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) fail("closing failed", errno);
  int rc;
  bool linked = false;
  if (overwrite) {
    rc = ::rename(path_.c_str(), dest_.c_str());
  } else {
    rc = ::renameat2(AT_FDCWD, path_.c_str(), AT_FDCWD, dest_.c_str(), RENAME_NOREPLACE);
    if (rc != 0 && (errno == EINVAL || errno == ENOSYS)) {
      // A file system without RENAME_NOREPLACE: link() also refuses an existing name.
      rc = ::link(path_.c_str(), dest_.c_str());
      linked = rc == 0;
    }
  }
  if (rc != 0 && errno == EEXIST) {
    throw Error(Status::invalid_argument,
                "'" + dest_ + "' already exists; refusing to overwrite it (pass overwrite)");
  }
  if (rc != 0) fail("moving the finished file into place failed", errno);
  committed_ = true;
  if (linked) ::unlink(path_.c_str());
}

}  // namespace glide::io::detail
