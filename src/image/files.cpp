#include "image/files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>

#include "glide/error.hpp"

namespace glide::image {
namespace {

std::string os_error(int err) {
  return std::strerror(err);
}

[[noreturn]] void write_failed(const std::string& path, const std::string& problem, int err) {
  throw Error(Status::io_error, "cannot write '" + path + "': " + problem + ": " + os_error(err));
}

[[noreturn]] void already_exists(const std::string& path) {
  throw Error(Status::invalid_argument,
              "'" + path + "' already exists; refusing to overwrite it (pass overwrite)");
}

}  // namespace

std::string read_file(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    const int err = errno;
    throw Error(err == ENOENT ? Status::not_found : Status::io_error,
                "cannot read '" + path + "': " + os_error(err));
  }
  if (S_ISDIR(st.st_mode)) {
    throw Error(Status::io_error, "cannot read '" + path + "': it is a folder");
  }
  // A pipe or device would block or never end (a FIFO given as an image hung the reader).
  if (!S_ISREG(st.st_mode)) {
    throw Error(Status::invalid_argument, "cannot read '" + path + "': it is not a regular file");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(Status::io_error, "cannot open '" + path + "' for reading");
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw Error(Status::io_error, "reading '" + path + "' failed");
  return bytes;
}

void refuse_existing(const std::string& path, bool overwrite) {
  struct stat st;
  if (!overwrite && ::lstat(path.c_str(), &st) == 0) already_exists(path);
}

void write_file_atomically(const std::string& path, const std::string& bytes, bool overwrite) {
  refuse_existing(path, overwrite);
  std::string temp = path + ".tmp-XXXXXX";
  int fd = ::mkstemp(temp.data());
  if (fd < 0) write_failed(path, "cannot create a temporary file next to it", errno);
  try {
    size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t k = ::write(fd, bytes.data() + done, bytes.size() - done);
      if (k < 0 && errno == EINTR) continue;
      if (k <= 0) write_failed(path, "writing failed", errno);
      done += static_cast<size_t>(k);
    }
    if (::fchmod(fd, 0644) != 0 || ::fsync(fd) != 0) write_failed(path, "flushing failed", errno);
    const int closing = fd;
    fd = -1;
    if (::close(closing) != 0) write_failed(path, "closing failed", errno);
    int rc;
    bool linked = false;
    if (overwrite) {
      rc = ::rename(temp.c_str(), path.c_str());
    } else {
      rc = ::renameat2(AT_FDCWD, temp.c_str(), AT_FDCWD, path.c_str(), RENAME_NOREPLACE);
      if (rc != 0 && (errno == EINVAL || errno == ENOSYS)) {
        // No RENAME_NOREPLACE on this file system: link() refuses an existing name too.
        rc = ::link(temp.c_str(), path.c_str());
        linked = rc == 0;
      }
    }
    if (rc != 0 && errno == EEXIST) already_exists(path);
    if (rc != 0) write_failed(path, "moving the finished file into place failed", errno);
    if (linked) ::unlink(temp.c_str());
  } catch (...) {
    if (fd >= 0) ::close(fd);
    ::unlink(temp.c_str());  // after a rename this name is gone already
    throw;
  }
}

}  // namespace glide::image
