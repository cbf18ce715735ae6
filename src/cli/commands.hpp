#pragma once

#include <CLI/CLI.hpp>

// Each subcommand lives in its own cmd_<name>.cpp and registers itself on the app here.
namespace glide::cli {
void add_tokenize_command(CLI::App& app);
void add_info_command(CLI::App& app);
void add_convert_command(CLI::App& app);
void add_train_command(CLI::App& app);
void add_generate_command(CLI::App& app);
void add_upsample_command(CLI::App& app);
void add_inpaint_command(CLI::App& app);
void add_sweep_command(CLI::App& app);
void add_bench_command(CLI::App& app);
}  // namespace glide::cli
