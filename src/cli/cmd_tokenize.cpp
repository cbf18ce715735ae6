#include <fmt/core.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <vector>

#include "commands.hpp"
#include "glide/error.hpp"
#include "glide/models/config.hpp"
#include "glide/tokenizer.hpp"
#include "usage_error.hpp"

namespace glide::cli {

void add_tokenize_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("tokenize", "Print a prompt's GPT-2 token ids as a JSON array");
  auto text = std::make_shared<std::string>();
  auto text_ctx = std::make_shared<int64_t>(128);
  cmd->add_option("text", *text, "The prompt (UTF-8)")->required();
  cmd->add_option(
         "--text-ctx", *text_ctx,
         "The model's text context: every id is printed, and a note says when the model would "
         "read only the first N")
      ->check(CLI::Range(int64_t{1}, ModelConfig::kMaxTextCtx))
      ->capture_default_str();
  cmd->callback([text, text_ctx] {
    std::vector<int64_t> ids;
    try {
      ids = Tokenizer::gpt2().encode(*text);
    } catch (const Error& e) {  // text that is not UTF-8: the command line must change
      if (e.status() != Status::invalid_argument) throw;
      throw UsageError(fmt::format("text: {}", e.what()));
    }
    if (static_cast<int64_t>(ids.size()) > *text_ctx) {
      fmt::print(stderr,
                 "glide: note: the prompt has {} tokens; the model reads only the first {} "
                 "and ignores the rest\n",
                 ids.size(), *text_ctx);
    }
    fmt::print("[{}]\n", fmt::join(ids, ","));
  });
}

}  // namespace glide::cli
