// glide-parity [DIR]: runs every parity case found in a goldens folder and prints one line each.
#include <fmt/core.h>

#include <exception>
#include <filesystem>

#include "parity/parity.hpp"

int main(int argc, char** argv) {
  const std::string dir = argc > 1 ? argv[1] : GLIDE_DEFAULT_GOLDENS;
  if (argc > 2 || (argc == 2 && (std::string(argv[1]) == "-h" || std::string(argv[1]) == "--help"))) {
    fmt::print("usage: glide-parity [DIR]\n  DIR: a folder in the reference goldens' format "
               "(default {})\n", GLIDE_DEFAULT_GOLDENS);
    return argc > 2 ? 2 : 0;
  }
  if (!std::filesystem::is_directory(dir)) {
    fmt::print(stderr, "glide-parity: {} is not a directory\n", dir);
    return 2;
  }
  int passed = 0, failed = 0;
  for (const auto& r : glide::parity::run_all_cases(dir)) {
    fmt::print("{:<40} max error {:9.3e}  {}  {}\n", r.name, r.max_error, r.passed ? "ok  " : "FAIL",
               r.detail);
    (r.passed ? passed : failed)++;
  }
  fmt::print("{} passed, {} failed\n", passed, failed);
  return failed == 0 && passed > 0 ? 0 : 1;
}
