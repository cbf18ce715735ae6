#include "glide/training/train_job.hpp"

#include <fmt/format.h>

#include <iterator>
#include <utility>

#include "glide/error.hpp"
#include "glide/image/plot.hpp"
#include "glide/image/png.hpp"
#include "glide/io/checkpoint.hpp"
#include "glide/io/files.hpp"
#include "glide/models/loading.hpp"
#include "glide/pipeline/stage_model.hpp"
#include "glide/training/image_folder.hpp"
#include "glide/training/shapes.hpp"
#include "io/new_outputs.hpp"

namespace glide::training {

Recipe read_recipe(const std::string& path) {
  const std::string extension = io::lowercase_extension(path);
  if (extension == ".pt" || extension == ".pth") {
    throw Error(Status::invalid_argument,
                fmt::format("model config '{}' is a torch.save file, which records no config; "
                            "give the model's options as a JSON file",
                            path));
  }
  if (extension == ".safetensors") {
    // A glide model file (an export, a shipped model) records its recipe: fine-tuning it, or
    // training another like it, needs no JSON written out by hand.
    const Checkpoint checkpoint = load_checkpoint(path);
    const auto it = checkpoint.metadata.find(kModelConfigMetadataKey);
    if (it == checkpoint.metadata.end()) {
      throw Error(Status::invalid_argument,
                  fmt::format("model config '{}' is a safetensors file without {} metadata; give "
                              "the model's options as a JSON file",
                              path, kModelConfigMetadataKey));
    }
    const ModelOptionsFile file = model_options_from_text(it->second, path);
    return Recipe{file.model, checkpoint_diffusion(checkpoint, path, file.model)};
  }
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

// A set output `path` must be named for the format it is written in, and writable.
void check_output(const std::string& path, const std::string& extension, const char* what,
                  bool overwrite) {
  if (path.empty()) return;
  if (io::lowercase_extension(path) != extension) {
    throw Error(Status::invalid_argument,
                fmt::format("'{}' would hold the {}, which is written as a {} file; give a "
                            "name ending in {}",
                            path, what, extension, extension));
  }
  if (io::names_only_an_extension(path)) {
    throw Error(Status::invalid_argument,
                fmt::format("'{}' would hold the {}, but it is only an extension, which would make "
                            "a hidden file; give a name before it, such as out{}",
                            path, what, extension));
  }
  io::check_output_file(path, overwrite);
}

}  // namespace

void TrainOutputs::check(const std::string& checkpoint_path, const std::string& init_from) const {
  // The files are written in different formats at different times; one name for two of them
  // would silently replace one with the other (a checkpoint by its export: the run is lost; the
  // model fine-tuned from by the export: the recipe that resumes the run is gone).
  const std::pair<const char*, const std::string*> named[] = {{"export", &export_path},
                                                              {"loss curve", &loss_curve_path},
                                                              {"checkpoint", &checkpoint_path},
                                                              {"init_from model", &init_from}};
  for (size_t i = 0; i < std::size(named); ++i) {
    for (size_t j = i + 1; j < std::size(named); ++j) {
      const std::string& a = *named[i].second;
      const std::string& b = *named[j].second;
      if (a.empty() || b.empty() || !io::same_file(a, b)) continue;
      const std::string same =
          a == b ? fmt::format("the {} and the {} are both '{}'", named[i].first, named[j].first, a)
                 : fmt::format("the {} '{}' and the {} '{}' are one file", named[i].first, a,
                               named[j].first, b);
      throw Error(Status::invalid_argument, same + "; give each its own file");
    }
  }
  // glide convert makes a .pt from the export when one is needed.
  check_output(export_path, ".safetensors", "exported model", overwrite);
  check_output(loss_curve_path, ".png", "loss curve", overwrite);
}

void write_outputs(const Trainer& trainer, const TrainOutputs& outputs) {
  io::detail::NewOutputs written;
  if (!outputs.loss_curve_path.empty()) {
    written.write(outputs.loss_curve_path, [&] {
      save_loss_curve(outputs.loss_curve_path, trainer.loss_history(), outputs.overwrite);
    });
  }
  if (!outputs.export_path.empty()) {
    written.write(outputs.export_path, [&] {
      trainer.export_model(outputs.export_path, outputs.export_dtype, outputs.overwrite);
    });
  }
  written.keep();
}

void save_loss_curve(const std::string& path, const std::vector<double>& losses, bool overwrite) {
  image::save_png(path, image::plot_series(losses, "training loss per step"), {}, overwrite);
}

}  // namespace glide::training
