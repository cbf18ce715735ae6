#include "glide/pipeline/default_models.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <utility>
#include <vector>

#include "glide/error.hpp"

#if __has_include(<dlfcn.h>)
#include <dlfcn.h>
#define GLIDE_HAS_DLADDR 1
#endif

namespace glide {

namespace {

constexpr const char* kBaseFile = "shapes-base.safetensors";
constexpr const char* kUpsamplerFile = "shapes-upsampler.safetensors";

// The models directory of the installation holding this library's file, found from where the
// library was loaded; "" when that cannot be told.
std::string models_beside_library() {
#ifdef GLIDE_HAS_DLADDR
  Dl_info info{};
  if (dladdr(reinterpret_cast<const void*>(&default_model_paths), &info) == 0 ||
      info.dli_fname == nullptr || *info.dli_fname == '\0') {
    return "";
  }
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path library = fs::absolute(info.dli_fname, ec);
  if (ec) return "";
  // GLIDE_MODEL_DIR_FROM_LIBDIR: the data directory relative to the library directory, as
  // configured (../share/glide/models for lib/).
  return (library.parent_path() / GLIDE_MODEL_DIR_FROM_LIBDIR).lexically_normal().string();
#else
  return "";
#endif
}

// The places searched when $GLIDE_MODEL_DIR is not set.
std::vector<std::string> search_directories() {
  std::vector<std::string> dirs;
  if (std::string beside = models_beside_library();
      !beside.empty() && beside != GLIDE_INSTALL_MODEL_DIR) {
    dirs.push_back(std::move(beside));
  }
  dirs.emplace_back(GLIDE_INSTALL_MODEL_DIR);
  dirs.emplace_back(GLIDE_SOURCE_MODEL_DIR);
  return dirs;
}

std::optional<DefaultModelPaths> pair_in(const std::string& dir) {
  namespace fs = std::filesystem;
  const fs::path base = fs::path(dir) / kBaseFile;
  const fs::path upsampler = fs::path(dir) / kUpsamplerFile;
  std::error_code ec;
  if (fs::is_regular_file(base, ec) && fs::is_regular_file(upsampler, ec)) {
    return DefaultModelPaths{base.string(), upsampler.string(), dir};
  }
  return std::nullopt;
}

}  // namespace

DefaultModelPaths default_model_paths() {
  // A directory the user set is the only one searched: falling back on the installed pair
  // would silently sample models other than the ones meant (a typo in the path, say).
  if (const char* env = std::getenv("GLIDE_MODEL_DIR"); env != nullptr && *env != '\0') {
    if (auto found = pair_in(env)) return *found;
    throw Error(Status::not_found,
                fmt::format("the default models ({} and {}) are not both in GLIDE_MODEL_DIR "
                            "'{}', the one place searched while it is set; correct it, unset it "
                            "to search {}, or name the models explicitly",
                            kBaseFile, kUpsamplerFile, env, fmt::join(search_directories(), ", ")));
  }
  const auto dirs = search_directories();
  for (const auto& dir : dirs) {
    if (auto found = pair_in(dir)) return *found;
  }
  throw Error(Status::not_found,
              fmt::format("the default models ({} and {}) were not found in any of: {}; set "
                          "GLIDE_MODEL_DIR or name the models explicitly",
                          kBaseFile, kUpsamplerFile, fmt::join(dirs, ", ")));
}

}  // namespace glide
