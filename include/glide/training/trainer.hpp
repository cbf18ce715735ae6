#pragma once

#include <torch/types.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "glide/diffusion/gaussian_diffusion.hpp"
#include "glide/models/config.hpp"
#include "glide/models/text2im_unet.hpp"
#include "glide/training/dataset.hpp"

namespace glide::training {

// Everything a training run depends on. All fields but `steps`, `checkpoint_every`,
// `checkpoint_path` and `init_from` form the recipe a checkpoint records: resuming with another
// recipe is refused, so a resumed run equals an uninterrupted one.
struct TrainOptions {
  ModelConfig model;
  DiffusionConfig diffusion;  // the process trained on (every step, no respacing)
  int64_t steps = 1000;       // optimizer steps in the whole run
  int64_t batch_size = 16;
  double learning_rate = 3e-4;
  int64_t warmup_steps = 100;          // linear warm-up from 0
  std::string lr_schedule = "cosine";  // "constant", or "cosine" decay to min_lr_ratio·lr
  double min_lr_ratio = 0.1;
  double weight_decay = 0.0;  // AdamW's decoupled decay
  double ema_decay = 0.999;
  double grad_clip = 1.0;        // max global gradient norm; 0 disables
  double caption_dropout = 0.2;  // chance of an empty caption, for classifier-free guidance
  // Caps the per-example weight of the eps MSE, x0_error_weight(): 1 is GLIDE's unweighted loss.
  double x0_weight_cap = 1.0;
  // Share of each batch whose t is drawn from the noisiest tenth of the process instead of all of
  // it (0: GLIDE's uniform t). Those steps decide an image's colors and layout from the prompt.
  double high_noise_fraction = 0.0;
  bool freeze_text_encoder = false;  // keep the transformer and token embeddings fixed
  // "float32", or "bfloat16": mixed precision, the forward and backward passes' convolutions and
  // matrix products in bfloat16 under LibTorch's CPU autocast while weights, optimizer state,
  // norms and the loss stay float32 (fast on CPUs with avx512_bf16 or AMX).
  std::string precision = "float32";
  int64_t upsample_factor = 4;  // super-resolution: low_res = image average-pooled by it
  int64_t crop_size = 0;        // super-resolution: train on random crops of this size
  uint64_t seed = 0;
  int64_t checkpoint_every = 250;  // steps between checkpoints (and at the end)
  std::string checkpoint_path;     // required; resumed from when the file exists
  std::string init_from;           // fine-tuning: start from this model's weights

  // Throws glide::Error(invalid_argument) naming the option, its value and what is allowed.
  void validate() const;
  // The recipe as JSON (see above), stored in checkpoints and compared on resume.
  std::string recipe_json() const;
};

struct TrainProgress {
  int64_t step = 0;  // steps done, 1..total
  int64_t total = 0;
  double loss = 0, mse = 0, vb = 0;  // this step's batch means
  double learning_rate = 0;
  double images_per_s = 0;
  bool checkpoint_saved = false;  // a checkpoint was written after this step
};
using TrainCallback = std::function<void(const TrainProgress&)>;

struct TrainResult {
  int64_t step = 0;          // steps done in total, across resumes
  bool interrupted = false;  // stopped by the stop flag; a checkpoint was saved first
  bool resumed = false;      // started from an existing checkpoint
};

// Trains a Text2ImUNet (base or super-resolution) with GLIDE's objective (losses.hpp) on a
// dataset. Every step's randomness (timesteps, noise, caption dropout, crops, dropout) comes from
// generators seeded by (seed, step) and the data order is a function of (seed, step), so a run
// resumed from a checkpoint produces the same weights as one never interrupted.
class Trainer {
 public:
  // Builds the model, or resumes from options.checkpoint_path when it exists: a checkpoint that is
  // not a glide training checkpoint, is damaged, or holds another recipe or model is refused with
  // a glide::Error naming the file and what differs, and is never written over.
  Trainer(TrainOptions options, std::shared_ptr<const Dataset> dataset);
  ~Trainer();

  // Runs until options.steps or until *stop becomes true (checked after each step), saving a
  // checkpoint every checkpoint_every steps, at the end and when stopped.
  TrainResult run(const TrainCallback& progress = {}, const std::atomic<bool>* stop = nullptr);

  void save_checkpoint() const;
  // Writes the EMA weights as a model file (.safetensors with the model and diffusion configs in
  // its metadata, loadable by load_stage_model) in `dtype`. Refuses to replace a file unless
  // `overwrite`.
  void export_model(const std::string& path, torch::Dtype dtype = torch::kFloat32,
                    bool overwrite = false) const;

  int64_t step() const;
  const TrainOptions& options() const;
  // Whether the checkpoint's lock keeps other trainers off it: false on a file system that keeps
  // no locks (some network and FUSE ones), where nothing can.
  bool holds_checkpoint_lock() const;
  // Per-step mean loss of every step so far (kept in checkpoints).
  const std::vector<double>& loss_history() const;
  Text2ImUNet model() const;  // the trained (not averaged) weights

  struct State;  // the implementation's (src/training/train_state.hpp)

 private:
  std::unique_ptr<State> state_;
};

}  // namespace glide::training
