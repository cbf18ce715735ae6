#pragma once

// The trainer's internals, shared by trainer.cpp (the loop) and train_checkpoint.cpp (saving and
// resuming).

#include <memory>
#include <string>
#include <vector>

#include "glide/diffusion/gaussian_diffusion.hpp"
#include "glide/models/text2im_unet.hpp"
#include "glide/training/optimizer.hpp"
#include "glide/training/trainer.hpp"
#include "io/file_lock.hpp"

namespace glide::training {

struct Trainer::State {
  // Held for the trainer's life: two trainers on one checkpoint would overwrite each other's.
  std::unique_ptr<io::detail::FileLock> lock;
  TrainOptions options;
  std::shared_ptr<const Dataset> dataset;
  Text2ImUNet model{nullptr};
  GaussianDiffusion diffusion{std::vector<double>{0.5}};
  std::vector<NamedTensor> parameters;  // every parameter, in module order
  std::unique_ptr<AdamW> optimizer;     // over the trainable ones
  std::unique_ptr<Ema> ema;             // over all of them
  int64_t step = 0;
  std::vector<double> losses;
  // Set when a step left non-finite weights: nothing more is trained, saved or exported.
  std::string diverged;
};

// Writes the whole state to options.checkpoint_path atomically (temporary file + rename).
void write_checkpoint(const Trainer::State& state);
// Restores step, weights, EMA, optimizer moments and loss history from options.checkpoint_path,
// after checking that it is a training checkpoint of the same recipe and model.
void read_checkpoint(Trainer::State& state);

}  // namespace glide::training
