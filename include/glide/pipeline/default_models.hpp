#pragma once

#include <string>

namespace glide {

// The model pair glide uses when none is named: the small "shapes" base model and its ×4
// upsampler, trained by glide itself (docs/shapes-model.md).
struct DefaultModelPaths {
  std::string base;       // shapes-base.safetensors
  std::string upsampler;  // shapes-upsampler.safetensors
  std::string directory;  // where both were found
};

// Looks for the pair in $GLIDE_MODEL_DIR when it is set and not empty (there only), else in, in
// order: the data directory of the installation this library was loaded from
// (<prefix>/share/glide/models beside <prefix>/lib, so an install moved with `cmake --install
// --prefix` or copied elsewhere still finds its models), the directory configured at build time
// and the source tree's models/ folder. Throws glide::Error(not_found) naming every directory
// searched when none holds both.
DefaultModelPaths default_model_paths();

}  // namespace glide
