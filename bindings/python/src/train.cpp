// glide._train: one training run as `glide train` makes it (a training::Trainer on a dataset,
// then the loss curve and the exported model), with the GIL released. After every step the
// progress callback takes the GIL, lets Python handle pending signals (Ctrl-C) and calls the
// progress callable; an exception there, or the callable returning False, makes the trainer save
// its checkpoint and stop, and is raised once it has.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <atomic>
#include <exception>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "bindings.hpp"
#include "errors.hpp"
#include "gil.hpp"
#include "glide/error.hpp"
#include "glide/models/model_options.hpp"
#include "glide/pipeline/stage_model.hpp"
#include "glide/runtime.hpp"
#include "glide/training/train_job.hpp"
#include "glide/training/trainer.hpp"

namespace py = pybind11;

namespace glide::python {
namespace {

using training::TrainOptions;

// Runs train one at a time: every step seeds LibTorch's global generator (dropout), so two
// interleaved runs would not be reproducible. The thread running one, so that a call from its
// progress callable is refused rather than waiting for itself.
std::mutex training_mutex;
std::atomic<std::thread::id> training_thread;

torch::Dtype export_dtype(const std::string& text) {
  try {
    return parse_dtype(text);
  } catch (const Error&) {
    throw Error(
        Status::invalid_argument,
        "export_dtype is \"" + text + "\"; expected \"float32\", \"float16\" or \"bfloat16\"");
  }
}

py::dict progress_dict(const training::TrainProgress& p) {
  py::dict d;
  d["step"] = p.step;
  d["total"] = p.total;
  d["loss"] = p.loss;
  d["mse"] = p.mse;
  d["vb"] = p.vb;
  d["learning_rate"] = p.learning_rate;
  d["images_per_s"] = p.images_per_s;
  d["checkpoint_saved"] = p.checkpoint_saved;
  return d;
}

// `options` holds everything but the model, the diffusion and the paths; the model config is
// `config` (a preset name or JSON text) or the JSON file `config_file`.
py::dict train(TrainOptions options, const std::optional<std::string>& config,
               const std::optional<std::string>& config_file, const std::string& checkpoint,
               const std::string& dataset, const std::optional<std::string>& images,
               uint64_t dataset_seed, const std::optional<std::string>& init_from,
               const std::optional<std::string>& export_path, const std::string& export_dtype_name,
               const std::optional<std::string>& loss_curve, bool overwrite, int threads,
               const py::object& progress) {
  if (config.has_value() == config_file.has_value()) {
    throw Error(Status::invalid_argument, "give exactly one of config and config_file");
  }
  if (threads < 0) {
    throw Error(Status::invalid_argument, "threads is " + std::to_string(threads) +
                                              "; give a positive count, or 0 for one per core");
  }
  options.checkpoint_path = checkpoint;
  options.init_from = init_from.value_or("");
  training::TrainOutputs outputs;
  outputs.export_path = export_path.value_or("");
  outputs.export_dtype = export_dtype(export_dtype_name);
  outputs.loss_curve_path = loss_curve.value_or("");
  outputs.overwrite = overwrite;
  std::optional<ModelConfig> model = config ? model_config(config, "model_config") : std::nullopt;
  // Training has no checkpoint to take a model from: JSON naming diffusion options alone is the
  // full-size preset's model, as ModelConfig::from_json reads any options.
  if (config && !model && is_json_object_text(*config)) model = ModelConfig::from_json(*config);
  if (config && !model) {
    throw Error(Status::invalid_argument, "model_config is empty; give a preset, dict or JSON");
  }

  std::atomic<bool> stop{false};
  std::exception_ptr python_error;
  bool cancelled = false;
  const training::TrainCallback callback = [&](const training::TrainProgress& p) {
    const GilTaken gil;
    try {
      if (PyErr_CheckSignals() != 0) throw py::error_already_set();
      if (progress.is_none()) return;
      const py::object result = progress(progress_dict(p));
      if (!callable_says_go_on(result)) {
        cancelled = true;
        stop = true;
      }
    } catch (...) {
      python_error = std::current_exception();
      stop = true;
    }
  };

  training::TrainResult result;
  std::vector<double> losses;
  {
    if (training_thread.load() == std::this_thread::get_id()) {
      throw Error(Status::unsupported,
                  "glide.train was called from inside the progress callable of a glide.train "
                  "call; one training runs at a time: start the next after this one returns");
    }
    const GilReleased released;
    std::lock_guard<std::mutex> lock(training_mutex);  // taken without the GIL
    training_thread = std::this_thread::get_id();
    const struct Clear {
      ~Clear() { training_thread = std::thread::id(); }
    } clear_on_exit;
    const ScopedFlushDenormals interpreter_float_mode;  // Python's floats keep their denormals
    if (threads != 0) set_num_threads(threads);
    if (model) {
      // A preset has the official diffusion; JSON options may name another (as recipes do).
      const size_t first = config->find_first_not_of(" \t\r\n");
      const bool is_json = first != std::string::npos && (*config)[first] == '{';
      options.model = *model;
      options.diffusion = is_json ? diffusion_config_for(options.model, *config)
                                  : default_diffusion_config(options.model);
    } else {
      const training::Recipe recipe = training::read_recipe(*config_file);
      options.model = recipe.model;
      options.diffusion = recipe.diffusion;
    }
    try {
      options.validate();
    } catch (const Error& e) {
      // The options' names are Python's but for the checkpoint, glide.train's `checkpoint`.
      const std::string message = e.what();
      const std::string field = "checkpoint_path";
      if (message.rfind(field, 0) != 0) throw;
      throw Error(e.status(), "checkpoint" + message.substr(field.size()));
    }
    outputs.check(options.checkpoint_path, options.init_from);
    training::Trainer trainer(
        options, training::make_dataset(dataset, images.value_or(""), options.model.image_size,
                                        dataset_seed));
    if (!trainer.holds_checkpoint_lock()) {
      const GilTaken gil;
      const auto name = py::reinterpret_steal<py::object>(
          PyUnicode_DecodeFSDefaultAndSize(checkpoint.data(), py::ssize_t(checkpoint.size())));
      // Level 2: the warning points at the caller of glide.train. Under `-W error` it is the
      // error, raised before any step is taken.
      if (!name || PyErr_WarnFormat(PyExc_RuntimeWarning, 2,
                                    "the file system of %R keeps no locks: nothing stops another "
                                    "trainer on the same checkpoint, which would overwrite this "
                                    "one's saves",
                                    name.ptr()) != 0) {
        throw py::error_already_set();
      }
    }
    // An error of the trainer itself (its checkpoint could not be written, say) propagates
    // instead of the Python error that stopped it.
    result = trainer.run(callback, &stop);
    if (!result.interrupted) training::write_outputs(trainer, outputs);
    losses = trainer.loss_history();
  }
  if (python_error) std::rethrow_exception(python_error);
  if (cancelled) {
    throw Error(Status::cancelled, "training stopped by the progress callable after step " +
                                       std::to_string(result.step) + "; the checkpoint '" +
                                       checkpoint + "' holds it, and training again resumes it");
  }
  py::dict d;
  d["step"] = result.step;
  d["resumed"] = result.resumed;
  d["loss_history"] = losses;
  return d;
}

}  // namespace

void bind_train(py::module_& m) {
  py::class_<TrainOptions>(m, "_TrainOptions",
                           "glide::training::TrainOptions' numbers and names, under glide.train "
                           "(whose keyword defaults are these).")
      .def(py::init<>())
      .def_readwrite("steps", &TrainOptions::steps)
      .def_readwrite("batch_size", &TrainOptions::batch_size)
      .def_readwrite("learning_rate", &TrainOptions::learning_rate)
      .def_readwrite("warmup_steps", &TrainOptions::warmup_steps)
      .def_readwrite("lr_schedule", &TrainOptions::lr_schedule)
      .def_readwrite("min_lr_ratio", &TrainOptions::min_lr_ratio)
      .def_readwrite("weight_decay", &TrainOptions::weight_decay)
      .def_readwrite("ema_decay", &TrainOptions::ema_decay)
      .def_readwrite("grad_clip", &TrainOptions::grad_clip)
      .def_readwrite("caption_dropout", &TrainOptions::caption_dropout)
      .def_readwrite("x0_weight_cap", &TrainOptions::x0_weight_cap)
      .def_readwrite("high_noise_fraction", &TrainOptions::high_noise_fraction)
      .def_readwrite("precision", &TrainOptions::precision)
      .def_readwrite("freeze_text_encoder", &TrainOptions::freeze_text_encoder)
      .def_readwrite("upsample_factor", &TrainOptions::upsample_factor)
      .def_readwrite("crop_size", &TrainOptions::crop_size)
      .def_readwrite("seed", &TrainOptions::seed)
      .def_readwrite("checkpoint_every", &TrainOptions::checkpoint_every);
  require_init<TrainOptions>();
  m.def("_train", &train, py::arg("options"), py::arg("config"), py::arg("config_file"),
        py::arg("checkpoint"), py::arg("dataset"), py::arg("images"), py::arg("dataset_seed"),
        py::arg("init_from"), py::arg("export"), py::arg("export_dtype"), py::arg("loss_curve"),
        py::arg("overwrite"), py::arg("threads"), py::arg("progress"),
        "See glide.train. progress(dict) is called after every step; returns {step, resumed, "
        "loss_history}.");
}

}  // namespace glide::python
