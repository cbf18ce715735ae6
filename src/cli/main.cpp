#include <c10/util/Exception.h>
#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <exception>
#include <memory>
#include <string>
#include <vector>

#include "commands.hpp"
#include "core/printable.hpp"
#include "glide/error.hpp"
#include "glide/version.hpp"
#include "pipeline/out_of_memory.hpp"
#include "signals.hpp"
#include "usage_error.hpp"

using glide::printable;

namespace {

// CLI11 shows a negated flag's value in its name ("--upsample,--no-upsample{false}"), which reads
// as the pair's default; the help text says what the default is.
class HelpFormatter : public CLI::Formatter {
 public:
  std::string make_option_name(const CLI::Option* option, bool is_positional) const override {
    std::string name = CLI::Formatter::make_option_name(option, is_positional);
    for (size_t at; (at = name.find("{false}")) != std::string::npos;) name.erase(at, 7);
    return name;
  }
};

// Every command's single-value flags take the last value when given twice, as the generation
// parameters' do, so that a saved command line can be extended with overrides (`-o other.png`,
// `--model mine.pt`). Flags and lists (--prompt, --vary) keep their own rules.
void take_last_values(CLI::App& app) {
  for (CLI::App* command : app.get_subcommands({})) {
    for (CLI::Option* option : command->get_options()) {
      if (option->nonpositional() && option->get_type_size_max() >= 1 &&
          option->get_expected_max() == 1) {
        option->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
      }
    }
  }
}

}  // namespace

// Exit status: 0 done, 1 failed, 2 the command line must change (a bad flag or value). Messages
// go through printable(): they quote names and values that came from files.
int main(int argc, char** argv) {
  CLI::App app{"glide: text-guided image generation with OpenAI's GLIDE models"};
  // Past a file size limit (ulimit -f) a write should fail with EFBIG, which the writers report
  // and clean up after, rather than end the process with a temporary file left behind.
  std::signal(SIGXFSZ, SIG_IGN);
  glide::cli::end_cleanly_on_signals();
  app.formatter(std::make_shared<HelpFormatter>());  // before the commands, which inherit it
  app.set_version_flag("--version", std::string("glide ") + glide::version_string());
  app.require_subcommand(1);
  glide::cli::add_generate_command(app);
  glide::cli::add_upsample_command(app);
  glide::cli::add_inpaint_command(app);
  glide::cli::add_sweep_command(app);
  glide::cli::add_tokenize_command(app);
  glide::cli::add_info_command(app);
  glide::cli::add_convert_command(app);
  glide::cli::add_train_command(app);
  glide::cli::add_bench_command(app);
  take_last_values(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help and --version
    // CLI11's own message, in glide's form (every error line starts "glide: error").
    const std::vector<CLI::App*> commands = app.get_subcommands();
    if (commands.empty() && argc > 1 && argv[1][0] != '-') {  // CLI11: "A subcommand is required"
      std::string names;
      for (const CLI::App* command : app.get_subcommands({})) {
        names += (names.empty() ? "" : ", ") + command->get_name();
      }
      fmt::print(stderr, "glide: error: unknown command '{}'; the commands are {}\n",
                 printable(argv[1]), names);
      return 2;
    }
    fmt::print(stderr, "glide: error: {}\nglide: run 'glide {}--help' for the flags\n",
               printable(e.what()), commands.empty() ? "" : commands.back()->get_name() + " ");
    return 2;
  } catch (const glide::cli::UsageError& e) {
    fmt::print(stderr, "glide: error: {}\n", printable(e.what()));
    return 2;
  } catch (const glide::Error& e) {
    fmt::print(stderr, "glide: error ({}): {}\n", glide::status_name(e.status()),
               printable(e.what()));
    return 1;
  } catch (const c10::Error& e) {
    // Memory ran out outside the sampling loops (which say what was running), e.g. preparing
    // a large input image.
    if (glide::pipeline::is_out_of_memory(e)) {
      fmt::print(stderr, "glide: error (out of memory): {}\n",
                 printable(glide::pipeline::out_of_memory_message(e)));
      return 1;
    }
    // A LibTorch failure glide did not foresee: its message, without LibTorch's backtrace.
    fmt::print(stderr, "glide: error (LibTorch): {}\n", printable(e.what_without_backtrace()));
    return 1;
  } catch (const std::exception& e) {
    fmt::print(stderr, "glide: error: {}\n", printable(e.what()));
    return 1;
  }
  return 0;
}
