#include "io/file_bytes.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "glide/error.hpp"

namespace glide::io::detail {

namespace {

std::string system_error(const std::string& what, int err) {
  return what + ": " + std::strerror(err);
}

// Closes the descriptor on every way out of open().
struct Descriptor {
  int fd;
  ~Descriptor() { ::close(fd); }
};

// For a path that stat() refuses with ENOTDIR: which of its parents is a file, not a folder.
std::string file_taken_for_a_folder(const std::string& path) {
  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  std::error_code ec;
  // The innermost parent that exists is the file (those above it are folders).
  while (!parent.empty() && !std::filesystem::exists(parent, ec)) parent = parent.parent_path();
  if (parent.empty() || std::filesystem::is_directory(parent, ec)) return "a part of it is a file";
  return "'" + parent.string() + "' is a file, not a folder";
}

}  // namespace

std::shared_ptr<FileBytes> FileBytes::open(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    const int err = errno;
    if (err == ENOENT) {
      throw Error(Status::not_found, "checkpoint file '" + path + "' does not exist");
    }
    if (err == ENOTDIR) {
      throw Error(Status::not_found, "checkpoint file '" + path +
                                         "' does not exist: " + file_taken_for_a_folder(path));
    }
    throw Error(Status::io_error, system_error("cannot read '" + path + "'", err));
  }
  if (S_ISDIR(st.st_mode)) {
    throw Error(Status::invalid_argument,
                "'" + path + "' is a directory; expected a checkpoint file (.pt or .safetensors)");
  }
  if (!S_ISREG(st.st_mode)) {
    throw Error(Status::invalid_argument, "'" + path + "' is not a regular file");
  }
  // O_NONBLOCK: should a FIFO have taken the name since the stat, opening it must not wait for a
  // writer (reads of a regular file ignore the flag).
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) throw Error(Status::io_error, system_error("cannot open '" + path + "'", errno));
  const Descriptor closer{fd};
  // Size from the open descriptor, so the buffer matches the file we actually hold.
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    throw Error(Status::io_error, system_error("cannot read '" + path + "'", err));
  }
  if (!S_ISREG(st.st_mode)) {
    throw Error(Status::invalid_argument, "'" + path + "' is not a regular file");
  }
  const auto size = static_cast<size_t>(st.st_size);
  if (size == 0) {
    throw Error(Status::invalid_format, "'" + path + "' is empty (0 bytes); expected a checkpoint");
  }
  // The owner first, so that the pages have one from the moment they exist.
  std::shared_ptr<FileBytes> bytes(new FileBytes(path, size));
  // Anonymous pages: page-aligned, ENOMEM instead of an exception, handed back whole on munmap.
  void* p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) {
    const int err = errno;
    throw Error(
        err == ENOMEM ? Status::out_of_memory : Status::io_error,
        system_error("cannot hold '" + path + "' (" + std::to_string(size) + " bytes) in memory",
                     err));
  }
  bytes->data_ = static_cast<uint8_t*>(p);
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  size_t done = 0;
  while (done < size) {
    // Linux reads at most about 2 GiB per call; checkpoints are bigger than that.
    const size_t chunk = std::min<size_t>(size - done, size_t{1} << 30);
    const ssize_t got = ::pread(fd, bytes->data_ + done, chunk, static_cast<off_t>(done));
    if (got < 0) {
      const int err = errno;
      if (err == EINTR) continue;
      throw Error(Status::io_error, system_error("cannot read '" + path + "'", err));
    }
    if (got == 0) {
      throw Error(Status::io_error,
                  "'" + path + "' shrank while being read: it was " + std::to_string(size) +
                      " bytes when opened, but ended after " + std::to_string(done) +
                      "; was another program writing it? Load it again once it is complete");
    }
    done += static_cast<size_t>(got);
  }
  return bytes;
}

FileBytes::~FileBytes() {
  if (data_ != nullptr) ::munmap(data_, size_);
}

}  // namespace glide::io::detail
