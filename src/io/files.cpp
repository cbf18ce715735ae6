#include "glide/io/files.hpp"

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

}  // namespace glide::io
