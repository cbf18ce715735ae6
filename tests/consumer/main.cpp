#include <cstdio>
#include <cstring>
#include <filesystem>
#include <glide/pipeline/default_models.hpp>
#include <glide/tokenizer.hpp>
#include <glide/version.hpp>

// Prints the token count of a prompt and the library version, proving headers and linking work;
// with an argument, also checks that the default models are found in that directory (the
// installation's own, wherever it was installed).
int main(int argc, char** argv) {
  const auto ids = glide::Tokenizer::gpt2().encode("a red circle on a blue background");
  std::printf("glide %s: %zu tokens\n", glide::version_string(), ids.size());
  if (ids.size() != 7 || std::strcmp(glide::version_string(), GLIDE_VERSION_STRING) != 0) return 1;
  if (argc > 1) {
    const std::string found = glide::default_model_paths().directory;
    std::printf("default models in %s\n", found.c_str());
    std::error_code ec;
    if (!std::filesystem::equivalent(found, argv[1], ec)) {
      std::fprintf(stderr, "expected the default models in %s\n", argv[1]);
      return 1;
    }
  }
  return 0;
}
