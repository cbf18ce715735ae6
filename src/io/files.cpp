#include "glide/io/files.hpp"

#include <filesystem>
#include <system_error>

#include "io/temp_file.hpp"

namespace glide::io {

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
  // Resolved as far as each path exists; the rest compared as written, dots removed.
  const auto resolved = [](const std::string& path) {
    std::error_code error;
    const fs::path canonical = fs::weakly_canonical(fs::absolute(path, error), error);
    return error ? fs::absolute(path).lexically_normal() : canonical;
  };
  return resolved(a) == resolved(b);
}

}  // namespace glide::io
