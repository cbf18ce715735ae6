#pragma once

#include <torch/types.h>

#include <cstdint>
#include <memory>
#include <string>

#include "glide/models/config.hpp"
#include "glide/training/dataset.hpp"
#include "glide/training/trainer.hpp"

// What a training job needs around a Trainer: its model config file, its dataset by name and
// what it writes at the end. `glide train` and Python's glide.train() both use these.
namespace glide::training {

// What a recipe file (models/recipes/*.json) says: the model options (ModelConfig::from_json)
// and the diffusion its "diffusion_steps"/"noise_schedule" keys name, else the official one for
// that kind of model (default_diffusion_config).
struct Recipe {
  ModelConfig model;
  DiffusionConfig diffusion;
};

// Reads a recipe file, or the model and diffusion configs a glide .safetensors model file (an
// export, a shipped model, a training checkpoint) records. Throws glide::Error naming the file:
// not_found when it is absent, io_error when unreadable, invalid_argument for a file that records
// no config (a .pt), and the JSON readers' errors otherwise.
Recipe read_recipe(const std::string& path);

// The dataset a run trains on, at `image_size`: the folder of captioned images when
// `image_folder` is not empty (ImageFolderDataset), else the one called `name`: "shapes" (the
// synthetic ShapesDataset, drawn with `seed`). glide::Error(invalid_argument) for another name.
std::shared_ptr<const Dataset> make_dataset(const std::string& name,
                                            const std::string& image_folder, int64_t image_size,
                                            uint64_t seed);

// The files a finished run writes.
struct TrainOutputs {
  std::string export_path;  // the EMA weights as a model file (Trainer::export_model); "": none
  torch::Dtype export_dtype = torch::kFloat32;
  std::string loss_curve_path;  // the loss per step plotted as a PNG; "": none
  bool overwrite = false;       // replace existing files

  // Throws glide::Error for what writing would refuse (io::check_output_file: an existing file
  // without `overwrite`, a missing folder, ...), and invalid_argument for an export not named
  // .safetensors, a loss curve not named .png, or two of the export, the loss curve, the run's
  // `checkpoint_path` and the model it fine-tunes from (`init_from`) naming one file, whatever
  // `overwrite` says. Called before training, so a long run does not end in a refusal.
  void check(const std::string& checkpoint_path = "", const std::string& init_from = "") const;
};

// Writes the loss curve, then the exported model (each when its path is set). Both or neither: a
// failure writing the second removes the first when it is a new file.
void write_outputs(const Trainer& trainer, const TrainOutputs& outputs);

// Plots a loss history (one value per step, image::plot_series on a log scale) as a PNG.
// Refuses to replace an existing file unless `overwrite`.
void save_loss_curve(const std::string& path, const std::vector<double>& losses,
                     bool overwrite = false);

}  // namespace glide::training
