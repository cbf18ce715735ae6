#include <fmt/core.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <memory>
#include <string>

#include "commands.hpp"
#include "core/printable.hpp"
#include "glide/error.hpp"
#include "glide/pipeline/stage_model.hpp"
#include "glide/runtime.hpp"
#include "glide/training/train_job.hpp"
#include "glide/training/trainer.hpp"
#include "pipeline/param_fields.hpp"
#include "signals.hpp"
#include "usage_error.hpp"

namespace glide::cli {

namespace {

struct TrainCommand {
  training::TrainOptions options;
  std::string model_config_path;
  std::string dataset = "shapes";
  std::string image_folder;
  uint64_t dataset_seed = 0;
  std::string export_path;
  std::string export_dtype = "float32";
  std::string loss_curve_path;
  bool overwrite = false;
  bool quiet = false;
  int threads = 0;
  const CLI::App* app = nullptr;  // for naming the flag of an option validate() refuses
};

// TrainOptions::validate() starts its messages with the option's name ("batch_size=0 must be
// ..."); on the command line the flag is what the user typed, and a bad value is a usage error.
void validate_naming_flag(const TrainCommand& cmd) {
  try {
    cmd.options.validate();
  } catch (const Error& e) {
    const std::string message = e.what();
    const size_t equals = message.find('=');
    if (equals == std::string::npos) throw;
    std::string flag = message.substr(0, equals);
    // Options whose flag is not their name with dashes.
    if (flag == "learning_rate") flag = "lr";
    if (flag == "checkpoint_path") flag = "checkpoint";
    for (char& c : flag) c = c == '_' ? '-' : c;
    if (!cmd.app->get_option_no_throw("--" + flag)) throw;
    throw UsageError(fmt::format("--{}: {}", flag, message));
  }
}

// Seeds as generate reads them: CLI11 would read "-1" as 2^64 - 1, 2^64 as 2^64 - 1 and accept
// hex.
const CLI::Validator kSeed(
    [](const std::string& text) -> std::string {
      try {
        parse_seed(text);
      } catch (const Error& e) {
        return e.what();
      }
      return "";
    },
    "UINT64");

std::atomic<bool> g_stop_requested{false};
std::atomic<int> g_stop_signal{0};

// The first Ctrl-C or SIGTERM (how batch schedulers stop a job) asks the trainer to save and
// stop after the current step; a second one ends the process at once (removing a checkpoint
// half written).
void on_interrupt(int signal) {
  g_stop_signal.store(signal);
  g_stop_requested.store(true);
  handle_signal(SIGINT, end_cleanly);
  handle_signal(SIGTERM, end_cleanly);
}

std::string format_duration(double seconds) {
  const auto s = static_cast<int64_t>(seconds);
  return fmt::format("{}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60);
}

// One status line per step on a terminal (rewritten in place), else one line every 50 steps.
class TrainReporter {
 public:
  // Made just before the run starts at step `start_step` (the checkpoint's when resuming), so
  // that elapsed time and the time per step include the first step.
  explicit TrainReporter(int64_t start_step)
      : first_step_(start_step), started_(std::chrono::steady_clock::now()) {}

  void operator()(const training::TrainProgress& p) {
    const auto now = std::chrono::steady_clock::now();
    const double elapsed = std::chrono::duration<double>(now - started_).count();
    const double per_step = elapsed / static_cast<double>(p.step - first_step_);
    const std::string line = fmt::format(
        "step {}/{}  loss {:.4f} (mse {:.4f} vb {:.4f})  lr {:.2e}  {:.1f} img/s  "
        "elapsed {}  left {}{}",
        p.step, p.total, p.loss, p.mse, p.vb, p.learning_rate, p.images_per_s,
        format_duration(elapsed), format_duration(per_step * static_cast<double>(p.total - p.step)),
        p.checkpoint_saved ? "  [checkpoint]" : "");
    if (terminal_) {
      fmt::print(stderr, "\r\033[K{}", line);
      if (p.step == p.total) fmt::print(stderr, "\n");
    } else if (p.step % 50 == 0 || p.step == p.total || p.checkpoint_saved) {
      fmt::print(stderr, "{}\n", line);
    }
  }

 private:
  bool terminal_ = isatty(STDERR_FILENO) != 0;
  int64_t first_step_;
  std::chrono::steady_clock::time_point started_;
};

// Returns the signal that stopped the run after saving (0 when it ran to the end), once the
// trainer has let go of the checkpoint.
int run_train(TrainCommand& cmd) {
  if (cmd.threads != 0) set_num_threads(cmd.threads);
  const training::Recipe recipe = training::read_recipe(cmd.model_config_path);
  cmd.options.model = recipe.model;
  cmd.options.diffusion = recipe.diffusion;
  training::TrainOutputs outputs;
  outputs.export_path = cmd.export_path;
  outputs.export_dtype = parse_dtype_flag("--export-dtype", cmd.export_dtype);
  outputs.loss_curve_path = cmd.loss_curve_path;
  outputs.overwrite = cmd.overwrite;
  if (!recipe.model.super_res && cmd.app->count("--upsample-factor") > 0) {
    throw UsageError(
        fmt::format("--upsample-factor applies to upsamplers (super_res models); {} "
                    "is a base model",
                    cmd.model_config_path));
  }
  validate_naming_flag(cmd);
  outputs.check(cmd.options.checkpoint_path, cmd.options.init_from);
  training::Trainer trainer(cmd.options,
                            training::make_dataset(cmd.dataset, cmd.image_folder,
                                                   cmd.options.model.image_size, cmd.dataset_seed));
  if (!trainer.holds_checkpoint_lock()) {
    fmt::print(stderr,
               "glide: note: the file system of {} keeps no locks: nothing stops another trainer "
               "on the same checkpoint, which would overwrite this one's saves\n",
               printable(cmd.options.checkpoint_path));
  }
  if (trainer.step() > 0 && !cmd.quiet) {
    fmt::print(stderr, "resuming {} at step {}/{}\n", printable(cmd.options.checkpoint_path),
               trainer.step(), cmd.options.steps);
  }
  g_stop_requested.store(false);
  g_stop_signal.store(0);
  handle_signal(SIGINT, on_interrupt);
  handle_signal(SIGTERM, on_interrupt);
  TrainReporter reporter(trainer.step());
  training::TrainResult result;
  {
    // However the run ends, signals end glide again afterwards (the export is not interruptible
    // step by step).
    struct HandBackSignals {
      ~HandBackSignals() { end_cleanly_on_signals(); }
    } hand_back;
    result = trainer.run(
        [&](const training::TrainProgress& p) {
          if (!cmd.quiet) reporter(p);
        },
        &g_stop_requested);
  }
  if (result.interrupted) {
    fmt::print(stderr,
               "\ninterrupted: checkpoint saved at step {} in {}; run the same command "
               "to resume\n",
               result.step, printable(cmd.options.checkpoint_path));
    return g_stop_signal.load();
  }
  training::write_outputs(trainer, outputs);
  if (cmd.quiet) return 0;
  if (!cmd.loss_curve_path.empty()) {
    fmt::print(stderr, "wrote {}\n", printable(cmd.loss_curve_path));
  }
  if (!cmd.export_path.empty()) {
    fmt::print(stderr, "wrote {} (EMA weights, {})\n", printable(cmd.export_path),
               cmd.export_dtype);
  }
  return 0;
}

}  // namespace

void add_train_command(CLI::App& app) {
  auto cmd = std::make_shared<TrainCommand>();
  auto& o = cmd->options;
  CLI::App* sub = app.add_subcommand(
      "train",
      "Train or fine-tune a GLIDE model (base or upsampler) with GLIDE's objective. The "
      "checkpoint is resumed when it exists; Ctrl-C saves it and stops.");
  // As for generate's flags: given twice, the last one wins, so a saved command line can be
  // extended with overrides.
  sub->option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  sub->add_option("--model-config", cmd->model_config_path,
                  "JSON file with the model's options (the reference's names, see "
                  "models/recipes/), or a glide .safetensors model file, whose recorded model "
                  "and diffusion configs are used")
      ->required();
  sub->add_option("--checkpoint", o.checkpoint_path,
                  "training checkpoint (.safetensors): resumed from when it exists, written every "
                  "--checkpoint-every steps")
      ->required();
  // Named choices are checked while parsing: a typo exits 2 before any file is read.
  auto* dataset =
      sub->add_option("--dataset", cmd->dataset, "training data: shapes (the synthetic dataset)")
          ->check(CLI::IsMember({"shapes"}))
          ->capture_default_str();
  auto* dataset_seed =
      sub->add_option("--dataset-seed", cmd->dataset_seed, "seed of the synthetic dataset")
          ->check(kSeed)
          ->capture_default_str();
  // A folder replaces the synthetic dataset: its flags given too would be silently ignored.
  sub->add_option("--images", cmd->image_folder,
                  "train on a folder of PNG/JPEG images, each with a same-named .txt caption")
      ->check(CLI::Validator(
          [](const std::string& folder) {
            return folder.empty() ? std::string("give a folder, not an empty name") : "";
          },
          "FOLDER"))
      ->excludes(dataset)
      ->excludes(dataset_seed);
  sub->add_option("--steps", o.steps, "optimizer steps in the whole run")->capture_default_str();
  sub->add_option("--batch-size", o.batch_size, "images per step")->capture_default_str();
  sub->add_option("--lr", o.learning_rate, "peak learning rate (AdamW)")->capture_default_str();
  sub->add_option("--warmup-steps", o.warmup_steps, "linear learning-rate warm-up")
      ->capture_default_str();
  sub->add_option("--lr-schedule", o.lr_schedule, "constant or cosine (decay to --min-lr-ratio)")
      ->check(CLI::IsMember({"constant", "cosine"}))
      ->capture_default_str();
  sub->add_option("--min-lr-ratio", o.min_lr_ratio, "final learning rate / peak (cosine)")
      ->capture_default_str();
  sub->add_option("--weight-decay", o.weight_decay, "AdamW's decoupled weight decay")
      ->capture_default_str();
  sub->add_option("--ema-decay", o.ema_decay, "decay of the weights' moving average")
      ->capture_default_str();
  sub->add_option("--grad-clip", o.grad_clip, "max gradient norm (0: no clipping)")
      ->capture_default_str();
  sub->add_option("--caption-dropout", o.caption_dropout,
                  "chance a caption is replaced by the empty prompt (classifier-free guidance)")
      ->capture_default_str();
  sub->add_option("--x0-weight-cap", o.x0_weight_cap,
                  "weight the eps MSE by min(max(1, 1/SNR(t)), CAP), the predicted image's error "
                  "at high noise (1: GLIDE's unweighted loss; docs/training.md)")
      ->capture_default_str();
  sub->add_option("--high-noise-fraction", o.high_noise_fraction,
                  "share of each batch trained on the noisiest tenth of the steps (0: uniform t, "
                  "GLIDE's; docs/training.md)")
      ->capture_default_str();
  sub->add_option("--precision", o.precision,
                  "float32, or bfloat16: mixed precision (bfloat16 convolutions and matrix "
                  "products, float32 weights and loss; fast on CPUs with avx512_bf16)")
      ->capture_default_str();
  sub->add_flag("--freeze-text-encoder", o.freeze_text_encoder,
                "keep the text transformer and token embeddings fixed");
  sub->add_option("--upsample-factor", o.upsample_factor,
                  "upsampler: low-resolution input = image average-pooled by this factor")
      ->capture_default_str();
  sub->add_option("--crop-size", o.crop_size,
                  "upsampler: train on random crops of this size (0: whole images)")
      ->capture_default_str();
  sub->add_option("--init-from", o.init_from, "fine-tune: start from this model file's weights");
  sub->add_option("--seed", o.seed, "seed of the initial weights and of every step's randomness")
      ->check(kSeed)
      ->capture_default_str();
  sub->add_option("--checkpoint-every", o.checkpoint_every, "steps between checkpoints")
      ->capture_default_str();
  sub->add_option("--export", cmd->export_path,
                  "at the end, write the EMA weights here as a model (.safetensors)");
  sub->add_option("--export-dtype", cmd->export_dtype, "float32, float16 or bfloat16")
      ->check(CLI::IsMember({"float32", "float16", "bfloat16"}))
      ->capture_default_str();
  sub->add_option("--loss-curve", cmd->loss_curve_path, "at the end, plot the loss to this PNG");
  sub->add_flag("--overwrite", cmd->overwrite, "replace existing --export and --loss-curve files");
  sub->add_option("--threads", cmd->threads, "CPU threads (default: all cores)")
      ->check(CLI::Range(0, 1024));
  sub->add_flag("-q,--quiet", cmd->quiet,
                "no progress or 'wrote' lines on stderr (errors and an interruption still print)");
  cmd->app = sub;
  sub->callback([cmd]() {
    if (const int signal = run_train(*cmd)) {
      // Saved and stopped: end by the signal, as an uncaught one would, so the shell or batch
      // scheduler that sent it sees the run was stopped (status 130 for Ctrl-C).
      end_by_signal(signal);
    }
  });
}

}  // namespace glide::cli
