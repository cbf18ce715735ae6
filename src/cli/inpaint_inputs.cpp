#include "inpaint_inputs.hpp"

#include <fmt/core.h>

#include <cstdio>
#include <tuple>

#include "core/printable.hpp"
#include "glide/image/png.hpp"

namespace glide::cli {

GenerationParams inpaint_defaults() {
  GenerationParams p;
  p.upsampler = StageParams::upsampler_inpaint_defaults();
  return p;
}

void add_inpaint_flags(CLI::App* cmd, InpaintFiles& files, const std::string& when) {
  cmd->add_option("-i,--input", files.input,
                  "The PNG to edit (any size; resized to each stage's). " + when)
      ->check(CLI::ExistingFile)
      ->group("Generation");
  cmd->add_option("--mask", files.mask,
                  "A PNG of the input's shape (or a scaled copy): white (any non-black pixel) "
                  "keeps the input, black is redrawn. " +
                      when)
      ->check(CLI::ExistingFile)
      ->group("Generation");
}

InpaintFiles recorded_inpaint_files(const InpaintFiles& given, const LoadedRecord& record,
                                    const std::string& record_path) {
  return {recorded_input(given.input, "input", "--input", record, record_path),
          recorded_input(given.mask, "mask", "--mask", record, record_path)};
}

InpaintImages load_inpaint_images(const InpaintFiles& files) {
  InpaintImages images;
  images.image = image::load_png(files.input).pixels;
  images.mask = std::get<0>(image::load_png(files.mask).pixels.max(2));
  images.files = {record_file("input", files.input), record_file("mask", files.mask)};
  if (images.mask.ne(0).all().item<bool>()) {
    fmt::print(stderr,
               "glide: note: the mask {} has no black pixel, so it keeps all of the input and "
               "nothing is redrawn; paint black what should change\n",
               printable(files.mask));
  }
  return images;
}

}  // namespace glide::cli
