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
  // The diffusion options the config names go over the checkpoint's own diffusion (its
  // metadata, else the official one for its kind), as glide.Pipeline reads them.
  const std::string diffusion_options = diffusion.value_or("");
  diffusion_options_over(diffusion_options, {}, "config");  // before the (slow) loading
  const GilReleased released;
  const Checkpoint checkpoint = load_checkpoint(source);
  // Building the model checks that the config fits every key and shape before anything is
  // written.
  const StageModel stage = stage_model_with_options(checkpoint, source, std::move(model_cfg),
                                                    diffusion_options, "config");
  std::map<std::string, std::string> metadata = checkpoint.metadata;
  metadata[kModelConfigMetadataKey] = stage.model->config().to_json();
  metadata[kDiffusionConfigMetadataKey] = diffusion_config_to_json(stage.diffusion);
  io::save_safetensors(checkpoint.tensors, destination, metadata, overwrite);
}

}  // namespace

void bind_checkpoints(py::module_& m) {
  m.def("_convert_checkpoint", &convert_checkpoint, py::arg("source"), py::arg("destination"),
        py::arg("config"), py::arg("diffusion"), py::arg("overwrite"),
        "See glide.convert_checkpoint.");
}

}  // namespace glide::python
