// glide inpaint: fill in the masked-out part of an image (GuidedSampler::inpaint).

#include <filesystem>
#include <memory>

#include "commands.hpp"
#include "glide/pipeline/guided_sampler.hpp"
#include "image_output.hpp"
#include "inpaint_inputs.hpp"
#include "model_files.hpp"
#include "param_flags.hpp"
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
  InpaintFiles files;
  std::string from;
};

void inpaint(const InpaintOptions& o) {
  apply_threads(o.run);
  GenerationParams start = inpaint_defaults();
  LoadedRecord recorded;  // what --from read: its models and their configs
  InpaintFiles files = o.files;
  if (!o.from.empty()) {
    LoadedRecord record = read_record_for(o.from, "inpaint");
    files = recorded_inpaint_files(o.files, record);
    start = std::move(record.params);
    recorded = std::move(record);
  }
  if (files.input.empty()) {
    throw UsageError("--input is required (or --from an image glide inpainted)");
  }
  if (files.mask.empty())
    throw UsageError("--mask is required (or --from an image glide inpainted)");
  const GenerationParams params = o.params->apply(start);
  if (params.prompts.empty()) throw UsageError("--prompt is required");
  o.params->validate(params);
  o.params->note_ineffective_flags(params);
  std::string out = o.output.path;
  if (out.empty()) {
    const std::filesystem::path p(files.input);
    out = (p.parent_path() / (p.stem().string() + "-inpainted.png")).string();
  }
  const auto paths = output_paths(out, params.batch_size, o.output.grid);
  refuse_existing(paths, o.output.overwrite);

  const InpaintImages inputs = load_inpaint_images(files);
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
  const GenerationResult result =
      sampler.inpaint(inputs.image, inputs.mask, params, progress.callback());

  ImageRecord record{"inpaint", params, true, params.upsample, {}};
  record_models(record, {&base, &upsampler});
  record.files.insert(record.files.end(), inputs.files.begin(), inputs.files.end());
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
  add_inpaint_flags(cmd, o->files, "Required unless --from");
  cmd->add_option("--from", o->from,
                  "Start from the parameters, models, input and mask recorded in a PNG that "
                  "`glide inpaint` (or an inpainting `glide sweep`) wrote; flags given as well "
                  "override them")
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
