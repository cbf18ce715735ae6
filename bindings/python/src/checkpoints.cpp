// glide.convert_checkpoint: a checkpoint rewritten as .safetensors that names its own model and
// diffusion configs, so glide.Pipeline (and default_model_paths()) load it without a config.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <map>
#include <optional>
#include <string>

#include "bindings.hpp"
#include "gil.hpp"
#include "glide/error.hpp"
#include "glide/io/checkpoint.hpp"
#include "glide/models/loading.hpp"
#include "glide/pipeline/stage_model.hpp"

namespace py = pybind11;

namespace glide::python {
namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

void convert_checkpoint(const std::string& source, const std::string& destination,
                        const std::optional<std::string>& config,
                        const std::optional<std::string>& diffusion, bool overwrite) {
  if (!ends_with(destination, ".safetensors")) {
    throw Error(Status::invalid_argument,
                "destination '" + destination + "' must end in .safetensors");
  }
  auto model_cfg = model_config(config, "config");
  const bool names_model = model_cfg.has_value();
  // The diffusion options the config names, laid over the checkpoint's own diffusion (its
  // metadata, else the official one for its kind): the keys it leaves out keep their values, so
  // an upsampler's config without noise_schedule stays linear, as glide.Pipeline reads it.
  const auto diffusion_over = [&](const DiffusionConfig& under) {
    if (!diffusion) return under;
    try {
      return diffusion_config_in_options(*diffusion, under).value_or(under);
    } catch (const Error& e) {
      throw Error(Status::invalid_argument, std::string("config: ") + e.what());
    }
  };
  diffusion_over(DiffusionConfig{});  // checked before the loading, which may take long
  const GilReleased released;
  const Checkpoint checkpoint = load_checkpoint(source);
  // Building the model checks that the config fits every key and shape before anything is
  // written.
  Text2ImUNet model{nullptr};
  try {
    model = load_model(checkpoint, source, std::move(model_cfg));
  } catch (const Error& e) {
    if (names_model || !diffusion) throw;
    throw Error(e.status(), std::string(e.what()) +
                                " (config names only diffusion options; add the model's own, "
                                "image_size, num_channels, ...)");
  }
  std::map<std::string, std::string> metadata = checkpoint.metadata;
  metadata[kModelConfigMetadataKey] = model->config().to_json();
  const auto recorded = metadata.find(kDiffusionConfigMetadataKey);
  const DiffusionConfig under = recorded != metadata.end()
                                    ? diffusion_config_from_json(recorded->second)
                                    : default_diffusion_config(model->config());
  metadata[kDiffusionConfigMetadataKey] = diffusion_config_to_json(diffusion_over(under));
  io::save_safetensors(checkpoint.tensors, destination, metadata, overwrite);
}

}  // namespace

void bind_checkpoints(py::module_& m) {
  m.def("_convert_checkpoint", &convert_checkpoint, py::arg("source"), py::arg("destination"),
        py::arg("config"), py::arg("diffusion"), py::arg("overwrite"),
        "See glide.convert_checkpoint.");
}

}  // namespace glide::python
