// glide upsample: an existing image through the upsampler stage (GuidedSampler::upsample).
#include <fmt/core.h>

#include <filesystem>
#include <memory>

#include "commands.hpp"
#include "glide/image/png.hpp"
#include "glide/pipeline/guided_sampler.hpp"
#include "image_output.hpp"
#include "model_files.hpp"
#include "param_flags.hpp"
#include "progress.hpp"
#include "run_flags.hpp"
#include "usage_error.hpp"

namespace glide::cli {
namespace {

struct UpsampleOptions {
  std::unique_ptr<ParamFlags> params;
  ModelFlags models;
  OutputFlags output;
  RunFlags run;
  std::string input;
  std::string from;
};

// NAME.png → NAME-<suffix>.png beside it.
std::string beside(const std::string& input, const std::string& suffix) {
  const std::filesystem::path p(input);
  return (p.parent_path() / (p.stem().string() + "-" + suffix + ".png")).string();
}

void upsample(const UpsampleOptions& o) {
  apply_threads(o.run);
  GenerationParams start;
  LoadedRecord recorded;  // what --from read: its models and their configs
  std::string input = o.input;
  if (!o.from.empty()) {
    LoadedRecord record = read_record_for(o.from, "upsample");
    input = recorded_input(o.input, "input", "--input", record);
    start = std::move(record.params);
    recorded = std::move(record);
  }
  if (input.empty()) throw UsageError("--input is required (or --from an image glide upsampled)");
  const GenerationParams params = o.params->apply(start);
  if (params.prompts.empty()) throw UsageError("--prompt is required");
  if (params.prompts.size() > 1) {
    throw UsageError(
        fmt::format("--prompt is given {} times; upsample enlarges one image, "
                    "conditioned on one prompt",
                    params.prompts.size()));
  }
  o.params->validate(params);
  o.params->note_ineffective_flags(params);
  const std::string out = o.output.path.empty() ? beside(input, "upsampled") : o.output.path;
  refuse_existing({out}, o.output.overwrite);

  const torch::Tensor low_res = image::load_png(input).pixels.unsqueeze(0);
  const RecordedFile input_file = record_file("input", input);  // before minutes of sampling
  const LoadedModel upsampler =
      load_stage("upsampler_model", o.models, DefaultModels::shipped, recorded);
  o.params->validate(params, 0, upsampler.stage.diffusion.diffusion_steps);
  warn_long_prompts(params, {&upsampler});
  GuidedSampler sampler(StageModel{}, upsampler.stage);
  ProgressReporter progress(o.run.quiet);
  const torch::Tensor images = sampler.upsample(low_res, params, progress.callback());

  ImageRecord record{"upsample", params, /*base_stage=*/false, /*upsampler_stage=*/true, {}};
  record_models(record, {&upsampler});
  record.files.push_back(input_file);
  write_images(images, {out}, false, o.output.overwrite, record);
}

}  // namespace

void add_upsample_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "upsample",
      "Enlarge an image with the upsampler model, conditioned on a prompt (GLIDE's second "
      "stage on an image of your own)");
  auto o = std::make_shared<UpsampleOptions>();
  cmd->add_option("-i,--input", o->input,
                  "The PNG to enlarge (up to 4096 pixels a side; 64x64 for GLIDE's). Required "
                  "unless --from")
      ->check(CLI::ExistingFile)
      ->group("Generation");
  cmd->add_option("--from", o->from,
                  "Start from the parameters, model and input recorded in a PNG that "
                  "`glide upsample` wrote; flags given as well override them")
      ->group("Generation");
  FlagSet set;
  set.base = false;
  set.batch = false;
  set.upsample_switch = false;
  set.several_prompts = false;
  o->params = std::make_unique<ParamFlags>(cmd, set);
  add_model_flags(cmd, o->models, false, true, DefaultModels::shipped);
  add_output_flags(cmd, o->output, "INPUT-upsampled.png beside the input", /*batch=*/false);
  add_run_flags(cmd, o->run);
  cmd->callback([o] { upsample(*o); });
}

}  // namespace glide::cli
