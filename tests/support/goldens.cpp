#include "support/goldens.hpp"

#include <cstdlib>
#include <filesystem>

namespace glide::test {

std::optional<std::string> goldens_dir() {
  const char* env = std::getenv("GLIDE_GOLDENS");
  std::filesystem::path dir = env && *env ? env : GLIDE_DEFAULT_GOLDENS;
  if (std::filesystem::is_directory(dir)) return dir.string();
  return std::nullopt;
}

std::optional<std::string> golden_path(const std::string& name) {
  auto dir = goldens_dir();
  if (!dir) return std::nullopt;
  auto path = std::filesystem::path(*dir) / name;
  if (!std::filesystem::exists(path)) return std::nullopt;
  return path.string();
}

}  // namespace glide::test
