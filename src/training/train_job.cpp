#include "glide/training/train_job.hpp"

#include <fmt/format.h>

#include "glide/error.hpp"
#include "glide/image/plot.hpp"
#include "glide/image/png.hpp"
#include "glide/io/files.hpp"
#include "glide/pipeline/stage_model.hpp"
#include "glide/training/image_folder.hpp"
#include "glide/training/shapes.hpp"
#include "image/files.hpp"

namespace glide::training {

Recipe read_recipe(const std::string& path) {
  std::string text;
  try {
    text = image::read_file(path);
  } catch (const Error& e) {
    throw Error(e.status(), fmt::format("model config: {}", e.what()));
  }
  try {
    const ModelConfig model = ModelConfig::from_json(text);
    return Recipe{model, diffusion_config_for(model, text)};
  } catch (const Error& e) {
    throw Error(e.status(), fmt::format("model config '{}': {}", path, e.what()));
  }
}

std::shared_ptr<const Dataset> make_dataset(const std::string& name,
                                            const std::string& image_folder, int64_t image_size,
                                            uint64_t seed) {
  if (!image_folder.empty()) return std::make_shared<ImageFolderDataset>(image_folder, image_size);
  if (name == "shapes") return std::make_shared<ShapesDataset>(image_size, seed);
  throw Error(
      Status::invalid_argument,
      fmt::format("dataset \"{}\" is unknown; expected shapes (or a folder of images)", name));
}

void TrainOutputs::check() const {
  if (!export_path.empty()) io::check_output_file(export_path, overwrite);
  if (!loss_curve_path.empty()) io::check_output_file(loss_curve_path, overwrite);
}

void write_outputs(const Trainer& trainer, const TrainOutputs& outputs) {
  if (!outputs.loss_curve_path.empty()) {
    save_loss_curve(outputs.loss_curve_path, trainer.loss_history(), outputs.overwrite);
  }
  if (!outputs.export_path.empty()) {
    trainer.export_model(outputs.export_path, outputs.export_dtype, outputs.overwrite);
  }
}

void save_loss_curve(const std::string& path, const std::vector<double>& losses, bool overwrite) {
  image::save_png(path, image::plot_series(losses, "training loss per step"), {}, overwrite);
}

}  // namespace glide::training
