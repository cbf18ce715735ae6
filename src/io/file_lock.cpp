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

namespace {

bool same_file(const struct stat& a, const struct stat& b) {
  return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

// flock's answer on file systems that keep no locks (some network and FUSE ones).
bool locks_unsupported(int err) {
  return err == ENOLCK || err == EOPNOTSUPP || err == ENOSYS;
}

}  // namespace

FileLock::FileLock(const std::string& file, const std::string& user)
    : path_(resolve_destination(file).string() + ".lock") {
  // The holder removes the lock file when done, so a file opened just before that removal is no
  // longer the lock: try again until the locked file is the one the name points to. Each retry
  // means another holder came and went; a hundred in a row is a name being swapped on purpose.
  for (int attempt = 0; attempt < 100; ++attempt) {
    // Not following a link: the lock file is ours to create and remove, never someone else's.
    const int fd = ::open(path_.c_str(), O_RDONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0) {
      const int err = errno;
      const std::string why = err == ELOOP ? "it is a symbolic link" : std::strerror(err);
      throw Error(Status::io_error, "cannot lock '" + file + "' for " + user + ": cannot create '" +
                                        path_ + "': " + why);
    }
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      const int err = errno;
      if (locks_unsupported(err)) {
        fd_ = fd;  // nobody can lock here, so nobody is kept out: go on unguarded
        held_ = false;
        return;
      }
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
    if (::fstat(fd, &held) == 0 && ::lstat(path_.c_str(), &named) == 0 && same_file(held, named)) {
      fd_ = fd;
      return;
    }
    ::close(fd);
  }
  throw Error(Status::io_error, "cannot lock '" + file + "' for " + user + ": '" + path_ +
                                    "' kept being replaced while it was being locked");
}

FileLock::~FileLock() {
  // Removed while still held (see the constructor), and only if the name still means our file.
  struct stat held {};
  struct stat named {};
  if (::fstat(fd_, &held) == 0 && ::lstat(path_.c_str(), &named) == 0 && same_file(held, named)) {
    ::unlink(path_.c_str());
  }
  ::close(fd_);
}

}  // namespace glide::io::detail
