#include "image/files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
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
              "'" + path + "' already exists; refusing to replace it unless asked to overwrite");
}

// Where the bytes go and with which permissions. Replacing a symlink writes its target, so the
// link stays a link; a replaced file keeps its permission bits; a file nobody may write (mode
// 0444) is not replaced even when overwriting is allowed, as rm asks before removing one.
struct WriteTarget {
  std::string path;
  mode_t mode = 0644;
};

WriteTarget write_target(const std::string& path, bool overwrite) {
  WriteTarget target{path};
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) return target;  // a new file
  if (!overwrite) already_exists(path);
  if (S_ISLNK(st.st_mode)) {
    std::error_code ec;
    const auto resolved = std::filesystem::weakly_canonical(path, ec);
    if (ec) write_failed(path, "cannot follow the symbolic link", ec.value());
    target.path = resolved.string();
    if (::stat(target.path.c_str(), &st) != 0) return target;  // a dangling link's new target
  }
  if (S_ISDIR(st.st_mode)) {
    throw Error(Status::invalid_argument,
                "cannot write '" + path + "': it is a folder; give a file name in it");
  }
  if (!S_ISREG(st.st_mode)) {
    throw Error(Status::invalid_argument, "cannot write '" + path + "': it is not a regular file");
  }
  if ((st.st_mode & 0222) == 0) {
    throw Error(Status::invalid_argument,
                "'" + path + "' is read-only; refusing to replace it (make it writable first)");
  }
  target.mode = st.st_mode & 07777;
  return target;
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
  write_target(path, overwrite);
}

void write_file_atomically(const std::string& requested_path, const std::string& bytes,
                           bool overwrite) {
  const WriteTarget target = write_target(requested_path, overwrite);
  const std::string& path = target.path;
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
    if (::fchmod(fd, target.mode) != 0 || ::fsync(fd) != 0)
      write_failed(path, "flushing failed", errno);
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
