// glide sweep: one image per combination of hyperparameter values, as a labelled contact sheet
// and a CSV of timings and image statistics.
#include <fmt/core.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>

#include "commands.hpp"
#include "contact_sheet.hpp"
#include "core/printable.hpp"
#include "glide/error.hpp"
#include "glide/image/png.hpp"
#include "glide/io/files.hpp"
#include "glide/pipeline/guided_sampler.hpp"
#include "glide/pipeline/non_finite_images.hpp"
#include "image_output.hpp"
#include "inpaint_inputs.hpp"
#include "io/new_outputs.hpp"
#include "model_files.hpp"
#include "param_flags.hpp"
#include "progress.hpp"
#include "run_flags.hpp"
#include "sweep_csv.hpp"
#include "usage_error.hpp"

namespace glide::cli {
namespace {

struct SweepOptions {
  std::unique_ptr<ParamFlags> params;
  ModelFlags models;
  OutputFlags output;
  RunFlags run;
  InpaintFiles inpaint;  // given: every cell inpaints
  std::string from, csv;
  std::vector<std::string> vary;
  bool skip_invalid = false;
};

std::string describe(const SweepPlan& plan, const SweepCell& cell) {
  std::string text;
  for (size_t i = 0; i < plan.axes.size(); ++i) {
    text += fmt::format("{}{}={}", i ? " " : "", plan.axes[i].field->label, cell.values[i]);
  }
  return text;
}

SheetLabels sheet_labels(const SweepPlan& plan) {
  SheetLabels labels;
  labels.title = "rows: " + plan.axes[0].field->label;
  for (size_t i = 1; i < plan.axes.size(); ++i) {
    labels.title += (i == 1 ? "   columns: " : " x ") + plan.axes[i].field->label;
  }
  for (int64_t r = 0; r < plan.rows; ++r) {
    labels.rows.push_back(plan.cells[static_cast<size_t>(r * plan.columns)].values[0]);
  }
  for (int64_t c = 0; c < plan.columns && plan.axes.size() > 1; ++c) {
    const SweepCell& cell = plan.cells[static_cast<size_t>(c)];
    labels.columns.emplace_back(cell.values.begin() + 1, cell.values.end());
  }
  return labels;
}

// Notes for the flags the sweep makes pointless: one an axis replaces in every cell, or one that
// no cell reads (the same rule as generate's notes, across all cells).
void note_pointless_flags(const SweepOptions& o, const SweepPlan& plan) {
  std::vector<std::string> axis_fields;
  for (const SweepAxis& axis : plan.axes) axis_fields.push_back(axis.field->name);
  std::vector<std::string> given = o.params->given_fields();
  if (o.params->prompt_given()) given.emplace_back("prompts");
  for (const std::string& field : given) {
    for (const SweepAxis& axis : plan.axes) {
      if (axis.field->name == field) {
        fmt::print(stderr, "glide: note: {} has no effect: --vary {} sets it in every cell\n",
                   o.params->flag_of(field), axis.spec);
      }
    }
  }
  for (const std::string& note :
       o.params->ineffective_flags(cell_params(plan.cells), axis_fields)) {
    fmt::print(stderr, "glide: note: {}\n", note);
  }
}

// A gray square crossed in red: the place of a cell that made no image.
torch::Tensor failed_cell_image(int64_t size) {
  torch::Tensor image = torch::full({size, size, 3}, 96, torch::kUInt8);
  const torch::Tensor i = torch::arange(size);
  const torch::Tensor red = torch::tensor({220, 30, 30}, torch::kUInt8);
  image.index_put_({i, i}, red);
  image.index_put_({i, size - 1 - i}, red);
  return image;
}

// Refuses models that cannot make the sweep's cells before any work, saying what would.
// `inpainting`: why every cell inpaints ("" when none does).
void check_model_kind(const LoadedModel& model, const char* role, const std::string& inpainting) {
  if (!model.stage.model || model.stage.model->config().inpaint == !inpainting.empty()) return;
  const std::string path = model.files.empty() ? "" : printable(model.files.front().path);
  if (!inpainting.empty()) {
    throw UsageError(
        fmt::format("{}, which needs GLIDE's inpainting models (--model, "
                    "--upsampler-model); the {} model {} is not one",
                    inpainting, role, path));
  }
  throw UsageError(fmt::format(
      "the {} model {} is an inpainting model: give --input and --mask to sweep inpainting", role,
      path));
}

void sweep(const SweepOptions& o) {
  apply_threads(o.run);
  const bool inpaint_flags = !o.inpaint.input.empty() || !o.inpaint.mask.empty();
  GenerationParams start = inpaint_flags ? inpaint_defaults() : GenerationParams{};
  LoadedRecord recorded;  // what --from read: its models and their configs
  InpaintFiles inpaint_files = o.inpaint;
  if (!o.from.empty()) {
    LoadedRecord record = read_record_for(o.from, "sweep");
    if (inpaint_flags || remade_by(record) == "inpaint") {
      inpaint_files = recorded_inpaint_files(o.inpaint, record);
    }
    start = std::move(record.params);
    recorded = std::move(record);
  }
  // Why every cell inpaints, "" when none does.
  const std::string why_inpainting =
      inpaint_files.input.empty() && inpaint_files.mask.empty() ? ""
      : inpaint_flags ? "--input and --mask make every cell inpaint"
                      : fmt::format(
                            "the record of {} names an input and a mask, so every cell "
                            "inpaints (give --input/--mask to change them)",
                            printable(o.from));
  const bool inpainting = !why_inpainting.empty();
  if (inpainting && (inpaint_files.input.empty() || inpaint_files.mask.empty())) {
    throw UsageError(fmt::format("--{} is required with --{}: an inpainting sweep needs both",
                                 inpaint_files.input.empty() ? "input" : "mask",
                                 inpaint_files.input.empty() ? "mask" : "input"));
  }
  start = o.params->apply(start);
  std::vector<SweepAxis> axes;
  for (const std::string& spec : o.vary) axes.push_back(parse_vary(spec));
  const auto prompt_axis = std::find_if(
      axes.begin(), axes.end(), [](const SweepAxis& a) { return a.field->name == "prompts"; });
  if (prompt_axis != axes.end()) {
    start.prompts = {prompt_axis->values.front()};  // each cell sets its own
  }
  if (start.prompts.empty()) {
    throw UsageError(
        "--prompt is required (or --from IMAGE.png to reuse an image's parameters, or --vary "
        "prompt=...)");
  }
  if (start.prompts.size() > 1) {
    throw UsageError("a sweep makes one image per cell: give one --prompt (or vary prompt)");
  }
  start.batch_size = 1;
  const SweepPlan plan = plan_sweep(start, std::move(axes));

  std::map<std::string, std::string> axis_of_field;  // errors about an axis's field name it
  for (const SweepAxis& axis : plan.axes) axis_of_field[axis.field->name] = "--vary " + axis.spec;
  bool any_upsample = false;
  // --skip-invalid: the cells whose combination of values is refused, and why.
  std::map<size_t, std::string> invalid_cells;
  const auto check_cells = [&](int64_t base_steps, int64_t upsampler_steps) {
    const auto error_of = [&](const SweepCell& cell) -> std::optional<std::string> {
      try {
        o.params->validate(cell.params, base_steps, cell.params.upsample ? upsampler_steps : 0,
                           axis_of_field);
      } catch (const UsageError& e) {
        return std::string(e.what());
      }
      return std::nullopt;
    };
    std::vector<std::optional<std::string>> errors;  // each cell's, the earlier pass's first
    for (size_t i = 0; i < plan.cells.size(); ++i) {
      const auto earlier = invalid_cells.find(i);
      errors.push_back(earlier != invalid_cells.end() ? earlier->second : error_of(plan.cells[i]));
      any_upsample = any_upsample || plan.cells[i].params.upsample;
    }
    const auto has_error = [](const std::optional<std::string>& e) { return e.has_value(); };
    const auto first = std::find_if(errors.begin(), errors.end(), has_error);
    if (first == errors.end()) return;
    // Refused everywhere: a flag no cell can use is the flag's fault, not the first cell's.
    if (std::all_of(errors.begin(), errors.end(), [&](const auto& e) { return e == *first; })) {
      throw UsageError(**first);
    }
    if (std::all_of(errors.begin(), errors.end(), has_error)) {
      throw UsageError(fmt::format("every cell is refused; the first: cell 1 ({}): {}",
                                   describe(plan, plan.cells.front()), **first));
    }
    for (size_t i = 0; i < errors.size(); ++i) {
      if (!errors[i]) continue;
      if (!o.skip_invalid) {
        throw UsageError(fmt::format("cell {} ({}): {} (--skip-invalid crosses such cells out)",
                                     i + 1, describe(plan, plan.cells[i]), *errors[i]));
      }
      invalid_cells.emplace(i, *errors[i]);
    }
  };
  check_cells(0, 0);
  note_pointless_flags(o, plan);
  const std::string sheet_path = o.output.path.empty() ? "glide-sweep.png" : o.output.path;
  const std::string csv_path =
      o.csv.empty() ? std::filesystem::path(sheet_path).replace_extension(".csv").string() : o.csv;
  const bool csv_to_stdout = csv_path == "-";  // for a pipe; the sheet still goes to its file
  refuse_existing(csv_to_stdout ? std::vector<std::string>{sheet_path}
                                : std::vector<std::string>{sheet_path, csv_path},
                  o.output.overwrite);

  std::optional<InpaintImages> inpaint_images;
  if (inpainting) inpaint_images = load_inpaint_images(inpaint_files);
  // No default pair holds inpainting models: an inpainting sweep names them.
  const DefaultModels defaults = inpainting ? DefaultModels::none : DefaultModels::shipped;
  const LoadedModel base = load_stage("model", o.models, defaults, recorded);
  check_model_kind(base, "base", why_inpainting);
  LoadedModel upsampler;
  if (any_upsample) {
    upsampler = load_stage("upsampler_model", o.models, defaults, recorded);
    check_model_kind(upsampler, "upsampler", why_inpainting);
  }
  check_cells(base.stage.diffusion.diffusion_steps,
              any_upsample ? upsampler.stage.diffusion.diffusion_steps : 0);

  GenerationParams every_prompt = start;  // a sweep may vary the prompt or the negative one
  for (const SweepCell& cell : plan.cells) {
    every_prompt.prompts.insert(every_prompt.prompts.end(), cell.params.prompts.begin(),
                                cell.params.prompts.end());
    every_prompt.prompts.push_back(cell.params.negative_prompt);
  }
  warn_long_prompts(every_prompt, {&base, &upsampler});
  GuidedSampler sampler(base.stage, upsampler.stage);
  ProgressReporter progress(o.run.quiet);
  std::vector<torch::Tensor> images;
  std::vector<int64_t> failed;
  std::string csv = csv_line(sweep_csv_header());
  const auto n = static_cast<int64_t>(plan.cells.size());
  for (int64_t i = 0; i < n; ++i) {
    const SweepCell& cell = plan.cells[static_cast<size_t>(i)];
    const std::string name = fmt::format("cell {}/{}", i + 1, n);
    progress.begin(name + " ");
    const auto t0 = std::chrono::steady_clock::now();
    std::optional<GenerationResult> result;
    std::string error;
    const auto invalid = invalid_cells.find(static_cast<size_t>(i));
    try {
      if (invalid != invalid_cells.end()) {
        error = "refused: " + invalid->second;  // before any work; --skip-invalid crossed it out
      } else {
        result = inpaint_images ? sampler.inpaint(inpaint_images->image, inpaint_images->mask,
                                                  cell.params, progress.callback())
                                : sampler.generate(cell.params, progress.callback());
      }
    } catch (const NonFiniteImages& e) {
      // The sampling diverged (a huge temperature or guidance scale): a finding of the sweep,
      // recorded in the cell's place.
      error = e.what();
    } catch (const Error& e) {
      throw Error(e.status(), fmt::format("{} ({}): {}", name, describe(plan, cell), e.what()));
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const LoadedModel& last_stage = cell.params.upsample ? upsampler : base;
    const torch::Tensor image =
        result ? (cell.params.upsample ? result->upsampled : result->base)[0]
               : failed_cell_image(last_stage.stage.model->config().image_size);
    images.push_back(image);
    const image::ImageStats stats = result ? image::image_stats(image) : image::ImageStats{};
    csv += csv_line(sweep_csv_row(i, cell, seconds, result ? &stats : nullptr, image.size(1),
                                  image.size(0), error));
    if (result) {
      progress.note(fmt::format("{}: {} ({:.2f} s)", name, describe(plan, cell), seconds));
    } else {
      failed.push_back(i);
      progress.note(fmt::format("{}: {} made no image: {}", name, describe(plan, cell), error));
    }
  }
  if (!failed.empty()) {
    fmt::print(stderr,
               "glide: note: {} of {} cells made no image (crossed out on the sheet; the CSV's "
               "error column says why)\n",
               failed.size(), n);
  }

  // The first valid cell's parameters: `glide generate --from SHEET` (or `glide inpaint --from`
  // for an inpainting sweep) makes its image again.
  size_t first_valid = 0;
  while (invalid_cells.count(first_valid) != 0) ++first_valid;
  ImageRecord record{"sweep", plan.cells[first_valid].params, true, any_upsample, {}};
  record_models(record, {&base, &upsampler});
  if (inpainting) {
    record.files.insert(record.files.end(), inpaint_images->files.begin(),
                        inpaint_images->files.end());
  }
  nlohmann::ordered_json axes_json = nlohmann::ordered_json::array();
  for (const SweepAxis& a : plan.axes) {
    axes_json.push_back({{"field", a.field->name}, {"values", a.values}});
  }
  record.extra["sweep"] = {{"axes", axes_json},
                           {"rows", plan.rows},
                           {"columns", plan.columns},
                           {"failed_cells", failed}};
  SheetLabels labels = sheet_labels(plan);
  if (inpaint_images) {  // what every cell started from, at the cells' size
    int64_t side = 0;
    for (const torch::Tensor& im : images) side = std::max(side, im.size(0));
    labels.reference = masked_input_preview(*inpaint_images, side);
    labels.reference_caption = "input (checkered: redrawn by every cell)";
  }
  io::detail::NewOutputs written;  // the sheet and the CSV, or neither
  written.write(sheet_path, [&] {
    image::save_png(sheet_path, labelled_sheet(images, plan.columns, labels), record_text(record),
                    o.output.overwrite);
  });
  if (csv_to_stdout) {
    // A reader that goes away early is a failed write (EPIPE) to undo the sheet for, not a
    // SIGPIPE that would end glide with the sheet left behind.
    std::signal(SIGPIPE, SIG_IGN);
    fmt::print("{}", csv);
    if (std::fflush(stdout) != 0 || std::ferror(stdout)) {  // the sheet is then undone too
      throw Error(Status::io_error,
                  fmt::format("cannot write the CSV to standard output: {}", std::strerror(errno)));
    }
    written.keep();
    if (!o.run.quiet) {  // stdout holds the CSV, so this report goes to stderr, which -q silences
      fmt::print(stderr, "wrote {} ({} rows x {} columns)\n", printable(sheet_path), plan.rows,
                 plan.columns);
    }
    return;
  }
  written.write(csv_path, [&] { io::write_file(csv_path, csv, o.output.overwrite); });
  written.keep();
  fmt::print("wrote {} ({} rows x {} columns) and {}\n", printable(sheet_path), plan.rows,
             plan.columns, printable(csv_path));
}

}  // namespace

void add_sweep_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "sweep",
      "Compare hyperparameters: one image per combination of --vary values, all from the same "
      "seed unless seed is varied, as a labelled contact sheet plus a CSV of timings and image "
      "statistics");
  auto o = std::make_shared<SweepOptions>();
  cmd->add_option("--vary", o->vary,
                  "An axis: FIELD=V1,V2,... with FIELD any parameter (guidance_scale, "
                  "base.sampler, upsampler.steps, seed, prompt, ...; a stage field without "
                  "base./upsampler. is the base stage's). Separate values with ';' when they "
                  "hold commas. Give 1 to 3: rows are the first axis, columns the others")
      ->required()
      ->group("Sweep");
  cmd->add_option("--csv", o->csv,
                  "The CSV to write (default: the sheet's name with .csv; '-': standard output)")
      ->group("Sweep");
  cmd->add_flag("--skip-invalid", o->skip_invalid,
                "Cross out the cells whose combination of values is refused (ddpm crossed with "
                "eta values) instead of refusing the sweep; the CSV's error column says why")
      ->group("Sweep");
  cmd->add_option("--from", o->from,
                  "Start from the parameters (and model files) recorded in a PNG that glide "
                  "wrote; flags given as well override them. An inpainted image's (or an "
                  "inpainting sweep's) input and mask too: the cells then inpaint")
      ->group("Generation");
  add_inpaint_flags(cmd, o->inpaint,
                    "With both --input and --mask every cell inpaints: this needs GLIDE's "
                    "inpainting models (--model, --upsampler-model), and the upsampler defaults "
                    "to DDPM as in `glide inpaint`");
  FlagSet set;
  set.batch = false;
  set.several_prompts = false;
  o->params = std::make_unique<ParamFlags>(cmd, set);
  add_model_flags(cmd, o->models, true, true, DefaultModels::shipped);
  add_output_flags(cmd, o->output, "glide-sweep.png", /*batch=*/false);
  add_run_flags(cmd, o->run);
  cmd->callback([o] { sweep(*o); });
}

}  // namespace glide::cli
