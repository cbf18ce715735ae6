#include <cstdio>
#include <cstring>
#include <glide/tokenizer.hpp>
#include <glide/version.hpp>

// Prints the token count of a prompt and the library version, proving headers and linking work.
int main() {
  const auto ids = glide::Tokenizer::gpt2().encode("a red circle on a blue background");
  std::printf("glide %s: %zu tokens\n", glide::version_string(), ids.size());
  return ids.size() == 7 && std::strcmp(glide::version_string(), GLIDE_VERSION_STRING) == 0 ? 0 : 1;
}
