#include "glide/io/files.hpp"

#include <fmt/format.h>
#include <sys/stat.h>

#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <system_error>

#include "glide/error.hpp"
#include "io/temp_file.hpp"

namespace glide::io {

std::string read_file(const std::string& path, size_t max_bytes) {
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
  if (static_cast<uint64_t>(st.st_size) > max_bytes) {
    throw Error(Status::invalid_argument,
                fmt::format("cannot read '{}': it is {} bytes; glide reads at most {} bytes here",
                            path, st.st_size, max_bytes));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(Status::io_error, "cannot open '" + path + "' for reading");
  // One read of the size stat gave: a file that shrank meanwhile ends early, one that grew is cut.
  std::string bytes(static_cast<size_t>(st.st_size), '\0');
  in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (in.bad()) throw Error(Status::io_error, "reading '" + path + "' failed");
  bytes.resize(static_cast<size_t>(in.gcount()));
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

std::string lowercase_extension(const std::string& path) {
  const std::filesystem::path name = std::filesystem::path(path).filename();
  std::string extension = name.extension().string();
  const std::string whole = name.string();
  if (extension.empty() && whole.size() > 1 && whole[0] == '.' && whole != "..") extension = whole;
  for (char& c : extension) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return extension;
}

bool names_only_an_extension(const std::string& path) {
  const std::string name = std::filesystem::path(path).filename().string();
  return !name.empty() && name.size() == lowercase_extension(path).size();
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
