#pragma once

// What inpainting reads besides its parameters, for `glide inpaint` and an inpainting
// `glide sweep`: the input image, the mask, their flags, and the parameters it starts from.
#include <torch/types.h>

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "glide/pipeline/generation_params.hpp"
#include "png_record.hpp"

namespace glide::cli {

// GenerationParams' defaults with GLIDE's inpainting notebook's upsampler (DDPM).
GenerationParams inpaint_defaults();

struct InpaintFiles {
  std::string input, mask;  // PNG paths; empty when not given
};

// Adds -i/--input and --mask; `when` ends both helps (when they are required, or what they do).
void add_inpaint_flags(CLI::App* cmd, InpaintFiles& files, const std::string& when);

// The files a --from record names for the flags not given (recorded_input: a note when one
// changed, UsageError naming the flag when one is gone).
InpaintFiles recorded_inpaint_files(const InpaintFiles& given, const LoadedRecord& record);

struct InpaintImages {
  torch::Tensor image;              // uint8 (H, W, 3)
  torch::Tensor mask;               // uint8 (H, W): non-zero keeps the input's pixel
  std::vector<RecordedFile> files;  // the input and the mask, for the images' record
};

// Reads both PNGs, and their records (path and SHA-256) before any sampling. Any non-black pixel
// of the mask keeps the input there; a note on stderr when the mask has no black pixel (nothing
// would be redrawn).
InpaintImages load_inpaint_images(const InpaintFiles& files);

// The input as `size` x `size` (as the models see it) with the part the mask has redrawn shown
// as a grey checkerboard: an inpainting sweep's sheet shows what every cell started from.
torch::Tensor masked_input_preview(const InpaintImages& inputs, int64_t size);

}  // namespace glide::cli
