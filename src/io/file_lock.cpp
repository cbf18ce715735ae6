#include "io/file_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "glide/error.hpp"
#include "io/temp_file.hpp"

namespace glide::io::detail {

FileLock::FileLock(const std::string& file, const std::string& user)
    : path_(resolve_destination(file).string() + ".lock") {
  // The holder removes the lock file when done, so a file opened just before that removal is no
  // longer the lock: try again until the locked file is the one the name points to.
  for (;;) {
    const int fd = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
      const int err = errno;
      throw Error(Status::io_error, "cannot lock '" + file + "' for " + user + ": cannot create '" +
                                        path_ + "': " + std::strerror(err));
    }
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      const int err = errno;
      ::close(fd);
      if (err == EWOULDBLOCK) {
        throw Error(Status::io_error, "'" + file + "' is in use: another process holds its lock '" +
                                          path_ + "' (another " + user +
                                          " on the same file?); wait for it to finish");
      }
      throw Error(Status::io_error,
                  "cannot lock '" + file + "' for " + user + ": " + std::strerror(err));
    }
    struct stat held {};
    struct stat named {};
    if (::fstat(fd, &held) == 0 && ::stat(path_.c_str(), &named) == 0 &&
        held.st_dev == named.st_dev && held.st_ino == named.st_ino) {
      fd_ = fd;
      return;
    }
    ::close(fd);
  }
}

FileLock::~FileLock() {
  ::unlink(path_.c_str());  // while still holding it: see the constructor
  ::close(fd_);
}

}  // namespace glide::io::detail
