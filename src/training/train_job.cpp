#include "glide/training/train_job.hpp"

#include <fmt/format.h>

#include <cctype>
#include <filesystem>
#include <iterator>
#include <utility>

#include "glide/error.hpp"
#include "glide/image/plot.hpp"
#include "glide/image/png.hpp"
#include "glide/io/files.hpp"
#include "glide/pipeline/stage_model.hpp"
#include "glide/training/image_folder.hpp"
#include "glide/training/shapes.hpp"

namespace glide::training {

Recipe read_recipe(const std::string& path) {
  const ModelOptionsFile file = read_model_options_file(path);
  return Recipe{file.model, file.diffusion.value_or(default_diffusion_config(file.model))};
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

namespace {

bool has_extension(const std::string& path, const std::string& wanted) {
  std::string ext = std::filesystem::path(path).extension().string();
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ext == wanted;
}

}  // namespace

void TrainOutputs::check(const std::string& checkpoint_path) const {
  // The files are written in different formats at different times; one name for two of them
  // would silently replace one with the other (a checkpoint by its export: the run is lost).
  const std::pair<const char*, const std::string*> named[] = {
      {"export", &export_path}, {"loss curve", &loss_curve_path}, {"checkpoint", &checkpoint_path}};
  for (size_t i = 0; i < std::size(named); ++i) {
    for (size_t j = i + 1; j < std::size(named); ++j) {
      const std::string& a = *named[i].second;
      const std::string& b = *named[j].second;
      if (a.empty() || b.empty() || !io::same_file(a, b)) continue;
      throw Error(Status::invalid_argument,
                  fmt::format("the {} and the {} are both '{}'; give each its own file",
                              named[i].first, named[j].first, a == b ? a : a + "' = '" + b));
    }
  }
  if (!export_path.empty()) {
    if (!has_extension(export_path, ".safetensors")) {
      throw Error(Status::invalid_argument,
                  fmt::format("cannot export to '{}': the exported model is a .safetensors file; "
                              "name it so (glide convert makes a .pt from it)",
                              export_path));
    }
    io::check_output_file(export_path, overwrite);
  }
  if (!loss_curve_path.empty()) {
    if (!has_extension(loss_curve_path, ".png")) {
      throw Error(Status::invalid_argument,
                  fmt::format("cannot plot the loss curve to '{}': it is a PNG image; name it "
                              "so (.png)",
                              loss_curve_path));
    }
    io::check_output_file(loss_curve_path, overwrite);
  }
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
