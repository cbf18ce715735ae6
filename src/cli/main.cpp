#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <exception>

#include "commands.hpp"
#include "glide/error.hpp"
#include "glide/version.hpp"

int main(int argc, char** argv) {
  CLI::App app{"glide: text-guided image generation with OpenAI's GLIDE models"};
  app.set_version_flag("--version", std::string("glide ") + glide::version_string());
  app.require_subcommand(1);
  glide::cli::add_tokenize_command(app);
  glide::cli::add_info_command(app);
  glide::cli::add_convert_command(app);
  glide::cli::add_train_command(app);
  glide::cli::add_bench_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const glide::Error& e) {
    fmt::print(stderr, "glide: error ({}): {}\n", glide::status_name(e.status()), e.what());
    return 1;
  } catch (const std::exception& e) {
    fmt::print(stderr, "glide: error: {}\n", e.what());
    return 1;
  }
  return 0;
}
