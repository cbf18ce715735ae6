#include "glide/io/files.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <system_error>

#include "glide/error.hpp"
#include "io/temp_file.hpp"

namespace glide::io {

std::string read_file(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    const int err = errno;
    throw Error(err == ENOENT ? Status::not_found : Status::io_error,
                "cannot read '" + path + "': " + std::strerror(err));
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

void write_file(const std::string& path, const std::string& bytes, bool overwrite) {
  detail::TempFile out(path, overwrite);
  out.write(bytes.data(), bytes.size());
  out.commit();
}

void check_output_file(const std::string& path, bool overwrite) {
  detail::check_destination(path, overwrite);
}

bool same_file(const std::string& a, const std::string& b) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::exists(a, ec) && fs::exists(b, ec)) return fs::equivalent(a, b, ec);
  // Where writing each would land (through dangling links too), compared as paths.
  const auto landing = [](const std::string& path) {
    try {
      return detail::resolve_destination(path);
    } catch (const Error&) {  // a link loop: nothing can be written there anyway
      return fs::absolute(path).lexically_normal();
    }
  };
  return landing(a) == landing(b);
}

}  // namespace glide::io
