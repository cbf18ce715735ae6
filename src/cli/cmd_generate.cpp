// glide generate: prompts → images with GuidedSampler::generate, every parameter recorded in the
// PNG so that --from can make the same image again.
#include <fmt/core.h>

#include <memory>

#include "commands.hpp"
#include "glide/pipeline/guided_sampler.hpp"
#include "image_output.hpp"
#include "model_files.hpp"
#include "param_flags.hpp"
#include "progress.hpp"
#include "run_flags.hpp"
#include "usage_error.hpp"

namespace glide::cli {
namespace {

struct GenerateOptions {
  std::unique_ptr<ParamFlags> params;
  ModelFlags models;
  OutputFlags output;
  RunFlags run;
  std::string from;
};

void generate(const GenerateOptions& o) {
  apply_threads(o.run);
  GenerationParams params;
  LoadedRecord recorded;  // what --from read: its models and their configs
  if (!o.from.empty()) {
    LoadedRecord record = read_record_for(o.from, "generate");
    params = std::move(record.params);
    recorded = std::move(record);
  }
  params = o.params->apply(params);
  if (params.prompts.empty()) {
    throw UsageError("--prompt is required (or --from IMAGE.png to reuse an image's parameters)");
  }
  o.params->validate(params);
  o.params->note_ineffective_flags(params);
  const std::string out =
      o.output.path.empty() ? fmt::format("glide-{}.png", params.seed) : o.output.path;
  const auto paths = output_paths(out, params.batch_size, o.output.grid);
  refuse_existing(paths, o.output.overwrite);

  const LoadedModel base = load_stage("model", o.models, DefaultModels::shipped, recorded);
  LoadedModel upsampler;
  if (params.upsample) {
    upsampler = load_stage("upsampler_model", o.models, DefaultModels::shipped, recorded);
  }
  o.params->validate(params, base.stage.diffusion.diffusion_steps,
                     params.upsample ? upsampler.stage.diffusion.diffusion_steps : 0);

  warn_long_prompts(params, {&base, &upsampler});
  GuidedSampler sampler(base.stage, upsampler.stage);
  ProgressReporter progress(o.run.quiet);
  const GenerationResult result = sampler.generate(params, progress.callback());

  ImageRecord record{"generate", params, true, params.upsample, {}};
  record_models(record, {&base, &upsampler});
  write_images(params.upsample ? result.upsampled : result.base, paths, o.output.grid,
               o.output.overwrite, record);
}

}  // namespace

void add_generate_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "generate",
      "Make images from text: the base model (64x64 for GLIDE's), then the upsampler (GLIDE's "
      "pipeline). "
      "Every parameter is stored in the PNG; --from IMAGE.png makes the same image again");
  auto o = std::make_shared<GenerateOptions>();
  o->params = std::make_unique<ParamFlags>(cmd, FlagSet{});
  add_model_flags(cmd, o->models, true, true, DefaultModels::shipped);
  cmd->add_option("--from", o->from,
                  "Start from the parameters (and model files) recorded in a PNG that glide "
                  "wrote; flags given as well override them")
      ->group("Generation");
  add_output_flags(cmd, o->output, "glide-SEED.png", /*batch=*/true);
  add_run_flags(cmd, o->run);
  cmd->callback([o] { generate(*o); });
}

}  // namespace glide::cli
