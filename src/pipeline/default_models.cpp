#include "glide/pipeline/default_models.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cstdlib>
#include <filesystem>
#include <vector>

#include "glide/error.hpp"

namespace glide {

namespace {

constexpr const char* kBaseFile = "shapes-base.safetensors";
constexpr const char* kUpsamplerFile = "shapes-upsampler.safetensors";

std::vector<std::string> search_directories() {
  std::vector<std::string> dirs;
  if (const char* env = std::getenv("GLIDE_MODEL_DIR"); env != nullptr && *env != '\0') {
    dirs.emplace_back(env);
  }
  dirs.emplace_back(GLIDE_INSTALL_MODEL_DIR);
  dirs.emplace_back(GLIDE_SOURCE_MODEL_DIR);
  return dirs;
}

}  // namespace

DefaultModelPaths default_model_paths() {
  namespace fs = std::filesystem;
  const auto dirs = search_directories();
  for (const auto& dir : dirs) {
    const fs::path base = fs::path(dir) / kBaseFile;
    const fs::path upsampler = fs::path(dir) / kUpsamplerFile;
    std::error_code ec;
    if (fs::is_regular_file(base, ec) && fs::is_regular_file(upsampler, ec)) {
      return {base.string(), upsampler.string(), dir};
    }
  }
  throw Error(Status::not_found,
              fmt::format("the default models ({} and {}) were not found in any of: {}; set "
                          "GLIDE_MODEL_DIR or name the models explicitly",
                          kBaseFile, kUpsamplerFile, fmt::join(dirs, ", ")));
}

}  // namespace glide
