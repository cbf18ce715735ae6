#pragma once

#include <optional>
#include <string>

namespace glide::test {

// The reference goldens folder: $GLIDE_GOLDENS, else ../shared/goldens beside the checkout.
// Empty when absent; tests then skip with a visible warning instead of failing.
std::optional<std::string> goldens_dir();

// Full path of a golden file, or nullopt (after printing why) when goldens are unavailable.
std::optional<std::string> golden_path(const std::string& name);

}  // namespace glide::test

// Skips the rest of a test case, visibly, when the named golden file is unavailable.
#define GLIDE_REQUIRE_GOLDEN(var, name)                                          \
  const auto var##_opt = ::glide::test::golden_path(name);                       \
  if (!var##_opt) {                                                              \
    WARN("SKIPPED: golden file " << (name) << " not found (set GLIDE_GOLDENS)"); \
    return;                                                                      \
  }                                                                              \
  const std::string& var = *var##_opt
