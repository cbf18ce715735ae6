#include "inpaint_inputs.hpp"

#include <fmt/core.h>

#include <cstdio>
#include <tuple>

#include "core/printable.hpp"
#include "glide/image/png.hpp"
#include "pipeline/images.hpp"
#include "usage_error.hpp"

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

InpaintFiles recorded_inpaint_files(const InpaintFiles& given, const LoadedRecord& record) {
  // Python's save= records neither (arrays, not files): ask for both at once.
  if (given.input.empty() && given.mask.empty() && record.files.count("input") == 0 &&
      record.files.count("mask") == 0) {
    throw UsageError(fmt::format(
        "--from {}: its record names no input or mask file (an image inpainted from arrays in "
        "Python or from memory in C); give --input and --mask",
        record.path));
  }
  return {recorded_input(given.input, "input", "--input", record),
          recorded_input(given.mask, "mask", "--mask", record)};
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

torch::Tensor masked_input_preview(const InpaintImages& inputs, int64_t size) {
  const torch::Tensor image = pipeline::resize_images(inputs.image, size, "--input")[0];
  const torch::Tensor keep =
      pipeline::prepare_mask(inputs.mask, 1, size, "--mask")[0][0].unsqueeze(2).to(torch::kBool);
  // 4-pixel squares of two greys: unlike a flat grey, not mistaken for the picture's own.
  const torch::Tensor index = torch::arange(size, torch::kLong).div(4, "floor");
  const torch::Tensor dark = (index.unsqueeze(1) + index.unsqueeze(0)).remainder(2).eq(1);
  const torch::Tensor checker =
      torch::where(dark, torch::full({}, 96, torch::kUInt8), torch::full({}, 168, torch::kUInt8))
          .unsqueeze(2)
          .expand({size, size, 3});
  return torch::where(keep, image, checker).contiguous();
}

}  // namespace glide::cli
