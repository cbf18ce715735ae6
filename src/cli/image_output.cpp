#include "image_output.hpp"

#include <fmt/core.h>

#include "core/printable.hpp"
#include "glide/error.hpp"
#include "glide/io/files.hpp"
#include "usage_error.hpp"

namespace glide::cli {

void add_output_flags(CLI::App* cmd, OutputFlags& flags, const std::string& default_help,
                      bool batch) {
  std::string help = "The PNG file to write (default: " + default_help + ")";
  if (batch) help += ". With --batch-size > 1, one file per image: NAME-0.png, NAME-1.png, ...";
  const CLI::Validator png_name(
      [](std::string& name) -> std::string {
        if (name.empty()) return "an empty name names no file; give one such as out.png";
        if (io::lowercase_extension(name) != ".png") {
          return fmt::format("'{}': glide writes PNG images; give a name that ends in .png", name);
        }
        if (io::names_only_an_extension(name)) {
          return fmt::format(
              "'{}' is only an extension, which would make a hidden file; give a "
              "name before it, such as out.png",
              name);
        }
        return "";
      },
      "FILE.png");
  cmd->add_option("-o,--output", flags.path, help)->check(png_name)->group("Output");
  cmd->add_flag("--overwrite", flags.overwrite, "Replace output files that exist")->group("Output");
  if (batch) {
    cmd->add_flag("--grid", flags.grid,
                  "With --batch-size > 1, write the images as one contact sheet instead of one "
                  "file each")
        ->group("Output");
  }
}

void refuse_existing(const std::vector<std::string>& paths, bool overwrite) {
  // Two flags naming one file is a command-line mistake (exit status 2).
  if (const std::string why = same_file_conflict(paths); !why.empty()) throw UsageError(why);
  for (const std::string& path : paths) refuse_existing_output(path, overwrite, "pass --overwrite");
}

void write_images(const torch::Tensor& images, const std::vector<std::string>& paths, bool grid,
                  bool overwrite, const ImageRecord& batch_record) {
  write_image_files(images, paths, grid, overwrite, batch_record);
  const int64_t batch = images.size(0);
  if (grid && batch > 1) {
    fmt::print("wrote {} ({} images, seeds {} to {})\n", printable(paths[0]), batch,
               batch_record.params.seed,
               batch_record.params.seed + static_cast<uint64_t>(batch - 1));
    return;
  }
  for (int64_t k = 0; k < batch; ++k) {
    fmt::print("wrote {} (seed {})\n", printable(paths.at(static_cast<size_t>(k))),
               batch_record.params.seed + static_cast<uint64_t>(k));
  }
}

}  // namespace glide::cli
