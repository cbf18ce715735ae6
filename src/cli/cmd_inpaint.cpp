// glide inpaint: fill in the masked-out part of an image (GuidedSampler::inpaint).
#include <fmt/core.h>

#include <filesystem>
#include <memory>

#include "commands.hpp"
#include "glide/image/png.hpp"
#include "glide/pipeline/guided_sampler.hpp"
#include "image_output.hpp"
#include "model_files.hpp"
#include "param_flags.hpp"
#include "printable.hpp"
#include "progress.hpp"
#include "run_flags.hpp"
#include "usage_error.hpp"

namespace glide::cli {
namespace {

struct InpaintOptions {
  std::unique_ptr<ParamFlags> params;
  ModelFlags models;
  OutputFlags output;
  RunFlags run;
  std::string input, mask;
  std::string from;
};

GenerationParams inpaint_defaults() {
  GenerationParams p;
  p.upsampler = StageParams::upsampler_inpaint_defaults();  // GLIDE's notebook: DDPM upsampler
  return p;
}

void inpaint(const InpaintOptions& o) {
  apply_threads(o.run);
  GenerationParams start = inpaint_defaults();
  std::map<std::string, RecordedFile> recorded;
  std::string input = o.input, mask_path = o.mask;
  if (!o.from.empty()) {
    LoadedRecord record = read_edit_record(o.from, "inpaint");
    input = recorded_input(o.input, "input", "--input", record, o.from);
    mask_path = recorded_input(o.mask, "mask", "--mask", record, o.from);
    start = std::move(record.params);
    recorded = std::move(record.files);
  }
  if (input.empty()) throw UsageError("--input is required (or --from an image glide inpainted)");
  if (mask_path.empty())
    throw UsageError("--mask is required (or --from an image glide inpainted)");
  const GenerationParams params = o.params->apply(start);
  if (params.prompts.empty()) throw UsageError("--prompt is required");
  o.params->validate(params);
  o.params->note_ineffective_flags(params);
  std::string out = o.output.path;
  if (out.empty()) {
    const std::filesystem::path p(input);
    out = (p.parent_path() / (p.stem().string() + "-inpainted.png")).string();
  }
  const auto paths = output_paths(out, params.batch_size, o.output.grid);
  refuse_existing(paths, o.output.overwrite);

  const torch::Tensor image = image::load_png(input).pixels;
  // Any channel above 0 keeps the pixel: white (and any colour) keeps, black is filled in.
  const torch::Tensor mask = std::get<0>(image::load_png(mask_path).pixels.max(2));
  if (mask.ne(0).all().item<bool>()) {
    fmt::print(stderr,
               "glide: note: the mask {} has no black pixel, so it keeps all of the input and "
               "nothing is redrawn; paint black what should change\n",
               printable(mask_path));
  }
  const LoadedModel base = load_stage("model", o.models, DefaultModels::none, recorded);
  LoadedModel upsampler;
  if (params.upsample) {
    upsampler = load_stage("upsampler_model", o.models, DefaultModels::none, recorded);
  }
  o.params->validate(params, base.stage.diffusion.diffusion_steps,
                     params.upsample ? upsampler.stage.diffusion.diffusion_steps : 0);

  warn_long_prompts(params, {&base, &upsampler});
  GuidedSampler sampler(base.stage, upsampler.stage);
  ProgressReporter progress(o.run.quiet);
  const GenerationResult result = sampler.inpaint(image, mask, params, progress.callback());

  ImageRecord record{"inpaint", params, true, params.upsample, base.files};
  for (const RecordedFile& f : upsampler.files) record.files.push_back(f);
  record.files.push_back(record_file("input", input));
  record.files.push_back(record_file("mask", mask_path));
  write_images(params.upsample ? result.upsampled : result.base, paths, o.output.grid,
               o.output.overwrite, record);
}

}  // namespace

void add_inpaint_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "inpaint",
      "Redraw part of an image from a prompt, keeping the rest: needs GLIDE's inpainting "
      "models (base-inpaint and upsample-inpaint)");
  auto o = std::make_shared<InpaintOptions>();
  cmd->add_option("-i,--input", o->input,
                  "The PNG to edit (any size; resized to each stage's). Required unless --from")
      ->check(CLI::ExistingFile)
      ->group("Generation");
  cmd->add_option("--mask", o->mask,
                  "A PNG of the input's shape (or a scaled copy): white (any non-black pixel) "
                  "keeps the input, black is redrawn. Required unless --from")
      ->check(CLI::ExistingFile)
      ->group("Generation");
  cmd->add_option("--from", o->from,
                  "Start from the parameters, models, input and mask recorded in a PNG that "
                  "`glide inpaint` wrote; flags given as well override them")
      ->group("Generation");
  FlagSet set;
  set.defaults = inpaint_defaults();
  o->params = std::make_unique<ParamFlags>(cmd, set);
  add_model_flags(cmd, o->models, true, true, DefaultModels::none);
  add_output_flags(cmd, o->output, "INPUT-inpainted.png beside the input", /*batch=*/true);
  add_run_flags(cmd, o->run);
  cmd->callback([o] { inpaint(*o); });
}

}  // namespace glide::cli
