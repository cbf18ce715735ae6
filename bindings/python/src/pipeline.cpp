// glide._Pipeline: the models plus GuidedSampler, with the GIL released while sampling and
// Python's signals and progress callable polled after each step.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "arrays.hpp"
#include "bindings.hpp"
#include "errors.hpp"
#include "gil.hpp"
#include "glide/error.hpp"
#include "glide/models/model_options.hpp"
#include "glide/pipeline/guided_sampler.hpp"
#include "glide/pipeline/stage_model.hpp"
#include "glide/runtime.hpp"
#include "pipeline/image_record.hpp"

namespace py = pybind11;

namespace glide::python {
namespace {

py::object config_dict(const StageModel& stage) {
  if (!stage.model) return py::none();
  return py::module_::import("json").attr("loads")(stage_config_json(stage).dump());
}

}  // namespace

bool callable_says_go_on(const py::object& result) {
  if (result.is_none()) return true;
  const std::string type_name = py::str(py::type::handle_of(result).attr("__name__"));
  if (!PyBool_Check(result.ptr()) && type_name != "bool_" && type_name != "bool") {
    throw py::type_error("the progress callable returned " + type_name + " (" +
                         py::repr(result).cast<std::string>().substr(0, 60) +
                         "); return None or True to go on, or False to cancel");
  }
  const int truth = PyObject_IsTrue(result.ptr());  // -1: a bool-named class's __bool__ raised
  if (truth < 0) throw py::error_already_set();
  return truth != 0;
}

namespace {

// Runs `call(progress)` without the GIL. After each step the progress callback takes the GIL,
// lets Python handle pending signals (Ctrl-C) and calls `callable(stage, step, total)`, or with
// a preview `callable(stage, step, total, image, timestep, x_t, x0)` (glide/_progress.py hands
// the user's callable what its preview= asked for). A Python exception there (KeyboardInterrupt
// included) cancels the call and is re-raised once the C++ side has unwound; a callable returning
// False cancels it with glide.Cancelled.
template <typename Call>
auto run_without_gil(std::recursive_mutex& mutex, const py::object& callable, Call&& call) {
  std::exception_ptr python_error;
  ProgressCallback progress = [&](const Progress& p) -> bool {
    const GilTaken gil;
    try {
      if (PyErr_CheckSignals() != 0) throw py::error_already_set();
      if (callable.is_none()) return true;
      py::object result = p.preview.defined()
                              ? callable(p.stage, p.step, p.total, to_numpy(p.preview), p.timestep,
                                         float_to_numpy(p.x_t), float_to_numpy(p.x0))
                              : callable(p.stage, p.step, p.total);
      return callable_says_go_on(result);
    } catch (...) {
      python_error = std::current_exception();
      return false;
    }
  };
  try {
    const GilReleased released;
    // Taken without the GIL: no lock-order inversion. Recursive: a call from the progress
    // callable (same thread) gets GuidedSampler's error rather than waiting for itself.
    std::lock_guard<std::recursive_mutex> lock(mutex);
    // Flushed while sampling (the progress callable included), as it was before the call after.
    const ScopedFlushDenormals interpreter_float_mode;
    return call(progress);
  } catch (...) {
    if (python_error) std::rethrow_exception(python_error);
    throw;
  }
}

class Pipeline {
 public:
  // Configs are preset names or JSON; diffusions are DiffusionConfig JSON (None: the
  // checkpoint's metadata, else the official models' schedule).
  Pipeline(std::optional<std::string> base, std::optional<std::string> upsampler,
           std::optional<std::string> base_config, std::optional<std::string> base_diffusion,
           std::optional<std::string> upsampler_config,
           std::optional<std::string> upsampler_diffusion, const std::string& device,
           const std::string& dtype, std::optional<int> threads)
      : device_(parse_device(device)), dtype_(parse_dtype(dtype)) {
    check_device_and_dtype(device_, dtype_);  // before the (slow) loading
    if (!base && !upsampler) {
      throw Error(Status::invalid_argument, "give at least one of base and upsampler");
    }
    if (threads && *threads < 1) {
      throw Error(Status::invalid_argument,
                  "threads is " + std::to_string(*threads) +
                      "; give a positive count, or None for one per core");
    }
    auto base_cfg = model_config(base_config, "base_config");
    auto upsampler_cfg = model_config(upsampler_config, "upsampler_config");
    // Checked before the (slow) loading so that a bad value fails at once.
    diffusion_options_over(base_diffusion.value_or(""), {}, "base_config");
    diffusion_options_over(upsampler_diffusion.value_or(""), {}, "upsampler_config");
    const GilReleased released;
    const ScopedFlushDenormals interpreter_float_mode;  // Python's floats keep their denormals
    if (threads) set_num_threads(*threads);
    ensure_threads();
    const auto load = [&](const std::optional<std::string>& path, std::optional<ModelConfig> config,
                          const std::optional<std::string>& diffusion, const char* argument) {
      if (!path) return StageModel{};
      StageModel stage =
          load_stage_model_with_options(*path, std::move(config), diffusion.value_or(""), argument);
      stage.model->to(device_);
      stage.model->set_compute_dtype(dtype_);
      return stage;
    };
    sampler_ = std::make_unique<GuidedSampler>(
        load(base, std::move(base_cfg), base_diffusion, "base_config"),
        load(upsampler, std::move(upsampler_cfg), upsampler_diffusion, "upsampler_config"));
  }

  py::tuple generate(const GenerationParams& params, const py::object& progress) {
    const GenerationResult r = run_without_gil(mutex_, progress, [&](const ProgressCallback& cb) {
      return sampler_->generate(params, cb);
    });
    return py::make_tuple(to_numpy(r.base),
                          r.upsampled.defined() ? py::object(to_numpy(r.upsampled)) : py::none());
  }

  py::array upsample(const py::handle& images, const GenerationParams& params,
                     const py::object& progress) {
    const torch::Tensor input = images_from_numpy(images, "images");
    return to_numpy(run_without_gil(mutex_, progress, [&](const ProgressCallback& cb) {
      return sampler_->upsample(input, params, cb);
    }));
  }

  py::tuple inpaint(const py::handle& image, const py::handle& mask, const GenerationParams& params,
                    const py::object& progress) {
    const torch::Tensor image_t = images_from_numpy(image, "image");
    const torch::Tensor mask_t = mask_from_numpy(mask, "mask");
    const GenerationResult r = run_without_gil(mutex_, progress, [&](const ProgressCallback& cb) {
      return sampler_->inpaint(image_t, mask_t, params, cb);
    });
    return py::make_tuple(to_numpy(r.base),
                          r.upsampled.defined() ? py::object(to_numpy(r.upsampled)) : py::none());
  }

  void release_cached_networks() {
    const GilReleased released;
    const std::lock_guard<std::recursive_mutex> lock(mutex_);
    sampler_->release_cached_networks();
  }

  py::object base_config() const { return config_dict(sampler_->base()); }
  py::object upsampler_config() const { return config_dict(sampler_->upsampler()); }
  std::string device() const { return device_.str(); }
  std::string dtype() const { return dtype_name(dtype_); }

 private:
  torch::Device device_;
  torch::Dtype dtype_;
  std::unique_ptr<GuidedSampler> sampler_;
  // GuidedSampler is not thread-safe, and calls run without the GIL: one call at a time.
  std::recursive_mutex mutex_;
};

}  // namespace

std::optional<ModelConfig> model_config(const std::optional<std::string>& text,
                                        const char* argument) {
  return model_config_from_text(text.value_or(""), argument);
}

void bind_pipeline(py::module_& m) {
  py::class_<Pipeline>(m, "_Pipeline",
                       "The C++ pipeline under glide.Pipeline; use that class instead.")
      .def(py::init<std::optional<std::string>, std::optional<std::string>,
                    std::optional<std::string>, std::optional<std::string>,
                    std::optional<std::string>, std::optional<std::string>, std::string,
                    std::string, std::optional<int>>(),
           py::arg("base"), py::arg("upsampler"), py::arg("base_config"), py::arg("base_diffusion"),
           py::arg("upsampler_config"), py::arg("upsampler_diffusion"), py::arg("device"),
           py::arg("dtype"), py::arg("threads"))
      .def("generate", &Pipeline::generate, py::arg("params"), py::arg("progress"),
           "(base, upsampled or None) as uint8 (B, H, W, 3) arrays.")
      .def("upsample", &Pipeline::upsample, py::arg("images"), py::arg("params"),
           py::arg("progress"), "The upsampled images, uint8 (B, H, W, 3).")
      .def("inpaint", &Pipeline::inpaint, py::arg("image"), py::arg("mask"), py::arg("params"),
           py::arg("progress"), "(base, upsampled or None) as uint8 (B, H, W, 3) arrays.")
      .def("release_cached_networks", &Pipeline::release_cached_networks,
           "Frees each stage's network kept bound from the last call (on CUDA: its graphs).")
      .def_property_readonly("base_config", &Pipeline::base_config)
      .def_property_readonly("upsampler_config", &Pipeline::upsampler_config)
      .def_property_readonly("device", &Pipeline::device)
      .def_property_readonly("dtype", &Pipeline::dtype);
  require_init<Pipeline>();
}

}  // namespace glide::python
