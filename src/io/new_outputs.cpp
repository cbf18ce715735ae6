#include "io/new_outputs.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "io/temp_file.hpp"

namespace glide::io::detail {

std::pair<std::string, bool> NewOutputs::where(const std::string& path) {
  std::string target = resolve_destination(path).string();
  struct stat st;
  // Only a name known to be free is ours to remove later; one we cannot look at may be anyone's.
  const bool absent = ::lstat(target.c_str(), &st) != 0 && errno == ENOENT;
  return {std::move(target), absent};
}

NewOutputs::~NewOutputs() {
  for (const std::string& path : created_) ::unlink(path.c_str());
}

}  // namespace glide::io::detail
