#include "image/files.hpp"

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

}  // namespace glide::image
