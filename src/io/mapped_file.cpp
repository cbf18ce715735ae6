#include "io/mapped_file.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "glide/error.hpp"

namespace glide::io::detail {

namespace {

std::string system_error(const std::string& what, int err) {
  return what + ": " + std::strerror(err);
}

}  // namespace

std::shared_ptr<MappedFile> MappedFile::open(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    const int err = errno;
    if (err == ENOENT || err == ENOTDIR) {
      throw Error(Status::not_found, "checkpoint file '" + path + "' does not exist");
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
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw Error(Status::io_error, system_error("cannot open '" + path + "'", errno));
  // Size from the open descriptor, so the mapping matches the file we actually hold.
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    throw Error(Status::io_error, system_error("cannot read '" + path + "'", err));
  }
  const auto size = static_cast<size_t>(st.st_size);
  if (size == 0) {
    ::close(fd);
    throw Error(Status::invalid_format, "'" + path + "' is empty (0 bytes); expected a checkpoint");
  }
  void* p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  const int err = errno;
  ::close(fd);
  if (p == MAP_FAILED) {
    throw Error(err == ENOMEM ? Status::out_of_memory : Status::io_error,
                system_error("cannot map '" + path + "' into memory", err));
  }
  return std::shared_ptr<MappedFile>(new MappedFile(path, static_cast<uint8_t*>(p), size));
}

MappedFile::~MappedFile() {
  ::munmap(data_, size_);
}

}  // namespace glide::io::detail
