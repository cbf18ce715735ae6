// glide-parity [DIR] [--device cpu|cuda] [--dtype float32|float16|bfloat16]: runs every parity case
// found in a goldens folder and prints one line each, then "N passed, N failed".
#include <ATen/Context.h>
#include <fmt/core.h>

#include <exception>
#include <filesystem>

#include "parity/parity.hpp"

namespace {

void usage(std::FILE* out) {
  fmt::print(
      out,
      "usage: glide-parity [DIR] [--device cpu|cuda[:N]] [--dtype float32|float16|bfloat16]\n"
      "  DIR: a folder in the reference goldens' format (default {})\n"
      "  Forward cases run on the device and dtype given; float32 must match within 1e-4,\n"
      "  reduced precisions within a bound relative to the output. Sampling cases run on\n"
      "  the CPU in float32.\n",
      GLIDE_DEFAULT_GOLDENS);
}

torch::Dtype parse_dtype(const std::string& name) {
  if (name == "float32") return torch::kFloat32;
  if (name == "float16") return torch::kFloat16;
  if (name == "bfloat16") return torch::kBFloat16;
  throw std::invalid_argument("--dtype " + name + ": expected float32, float16 or bfloat16");
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir = GLIDE_DEFAULT_GOLDENS;
  glide::parity::RunOptions options;
  try {
    for (int i = 1; i < argc; ++i) {
      const std::string arg = argv[i];
      if (arg == "-h" || arg == "--help") {
        usage(stdout);
        return 0;
      } else if ((arg == "--device" || arg == "--dtype") && i + 1 < argc) {
        const std::string value = argv[++i];
        if (arg == "--device")
          options.device = torch::Device(value);
        else
          options.dtype = parse_dtype(value);
      } else if (arg.rfind("-", 0) != 0) {
        dir = arg;
      } else {
        usage(stderr);
        return 2;
      }
    }
  } catch (const std::exception& e) {
    fmt::print(stderr, "glide-parity: {}\n", e.what());
    return 2;
  }
  if (!std::filesystem::is_directory(dir)) {
    fmt::print(stderr, "glide-parity: {} is not a directory\n", dir);
    return 2;
  }
  // TF32 convolutions and matmuls would cost float32 parity about 1e-3 on recent GPUs.
  at::globalContext().setAllowTF32CuDNN(false);
  at::globalContext().setAllowTF32CuBLAS(false);
  int passed = 0, failed = 0;
  for (const auto& r : glide::parity::run_all_cases(dir, options)) {
    fmt::print("{:<44} max error {:9.3e}  {}  {}\n", r.name, r.max_error,
               r.passed ? "ok  " : "FAIL", r.detail);
    (r.passed ? passed : failed)++;
  }
  fmt::print("{} passed, {} failed\n", passed, failed);
  return failed == 0 && passed > 0 ? 0 : 1;
}
