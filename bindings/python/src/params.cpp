// glide.StageParams and glide.GenerationParams: the C++ structs with their fields, so the Python
// layer sets exactly what the C++ pipeline validates.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <string>
#include <utility>
#include <vector>

#include "bindings.hpp"
#include "errors.hpp"
#include "glide/device_and_dtype.hpp"
#include "glide/error.hpp"
#include "glide/pipeline/generation_params.hpp"
#include "glide/pipeline/ineffective_settings.hpp"

namespace py = pybind11;

namespace glide::python {

std::string dtype_name(torch::Dtype dtype) {
  if (dtype == torch::kFloat16) return "float16";
  if (dtype == torch::kBFloat16) return "bfloat16";
  return dtype == torch::kFloat32 ? "float32" : c10::toString(dtype);
}

namespace {

const char* reason_name(IneffectiveSetting::Reason reason) {
  switch (reason) {
    case IneffectiveSetting::Reason::stage_not_run: return "stage_not_run";
    case IneffectiveSetting::Reason::stage_unguided: return "stage_unguided";
    case IneffectiveSetting::Reason::thresholding_not_dynamic: return "thresholding_not_dynamic";
    case IneffectiveSetting::Reason::no_stage_guided: return "no_stage_guided";
  }
  return "unknown";
}

// The fields Python sees, in declaration order: repr, ==, pickling and copying go through them.
const std::vector<const char*> kStageFields = {
    "sampler",      "respacing",          "eta",
    "guided",       "guidance_scale",     "guidance_rescale",
    "thresholding", "dynamic_percentile", "temperature"};
const std::vector<const char*> kGenerationFields = {
    "prompts", "negative_prompt", "batch_size", "seed", "device",
    "dtype",   "upsample",        "preview",    "base", "upsampler"};

py::dict fields_of(const py::object& self, const std::vector<const char*>& names) {
  py::dict fields;
  for (const char* name : names) fields[name] = self.attr(name);
  return fields;
}

// glide.StageParams(sampler='ddpm', ...): what constructing it again would take.
std::string repr_of(const char* type, const py::object& self,
                    const std::vector<const char*>& names) {
  std::string text = std::string("glide.") + type + "(";
  for (size_t i = 0; i < names.size(); ++i) {
    text += (i ? ", " : "") + std::string(names[i]) + "=" +
            py::repr(self.attr(names[i])).cast<std::string>();
  }
  return text + ")";
}

// repr, == and pickling (hence copy.deepcopy) for a parameter struct: a study keeps, compares
// and ships these around.
template <typename T>
void add_value_methods(py::class_<T>& cls, const char* type,
                       const std::vector<const char*>& names) {
  cls.def("__repr__", [type, names](const py::object& self) { return repr_of(type, self, names); })
      .def("__eq__",
           [names](const py::object& self, const py::object& other) -> py::object {
             if (!py::isinstance<T>(other))
               return py::reinterpret_borrow<py::object>(Py_NotImplemented);
             return py::bool_(fields_of(self, names).equal(fields_of(other, names)));
           })
      .def(
          "to_dict", [names](const py::object& self) { return fields_of(self, names); },
          "The fields as a dict (nested stages stay objects).")
      .def(py::pickle([names](const py::object& self) { return fields_of(self, names); },
                      [names](const py::dict& state) {
                        py::object made = py::cast(T{});
                        for (const char* name : names) {
                          if (state.contains(name)) made.attr(name) = state[name];
                        }
                        return made.cast<T>();
                      }));
}

}  // namespace

void bind_params(py::module_& m) {
  py::class_<StageParams> stage(m, "StageParams",
                                "How one denoising stage samples (glide::StageParams). The "
                                "defaults are the reference's base stage.");
  stage.def(py::init<>())
      .def_static("base_defaults", &StageParams::base_defaults,
                  "The reference's base stage: guided 100-step DDPM at scale 3.")
      .def_static("upsampler_defaults", &StageParams::upsampler_defaults,
                  "The reference's upsampler stage: unguided fast27 DDIM, temperature 0.997.")
      .def_static("upsampler_inpaint_defaults", &StageParams::upsampler_inpaint_defaults,
                  "The inpainting notebook's upsampler stage: as upsampler_defaults() with DDPM.")
      .def_readwrite("sampler", &StageParams::sampler, "A name from glide.sampler_names().")
      .def_readwrite("respacing", &StageParams::respacing,
                     "Timestep respacing: \"N\", \"a,b,c\", \"ddimN\" or \"fast27\".")
      .def_readwrite("eta", &StageParams::eta, "The sampler's noise scale; None: its default.")
      .def_readwrite("guided", &StageParams::guided, "Classifier-free guidance on this stage.")
      .def_readwrite("guidance_scale", &StageParams::guidance_scale,
                     "1: conditional model alone, 0: unconditional alone.")
      .def_readwrite("guidance_rescale", &StageParams::guidance_rescale,
                     "Guidance rescale (Lin et al. 2023), in [0, 1].")
      .def_readwrite("thresholding", &StageParams::thresholding,
                     "\"clip\", \"dynamic\" or \"none\".")
      .def_readwrite("dynamic_percentile", &StageParams::dynamic_percentile,
                     "The percentile of dynamic thresholding.")
      .def_readwrite("temperature", &StageParams::temperature, "x_T ~ N(0, temperature^2 I).")
      .def(
          "validate",
          [](const StageParams& p, const std::string& stage, int64_t diffusion_steps) {
            if (diffusion_steps < 0) {
              throw Error(Status::invalid_argument,
                          "diffusion_steps is " + std::to_string(diffusion_steps) +
                              "; give the model's step count, or 0 to check only the "
                              "respacing's form");
            }
            p.validate(stage, diffusion_steps);
          },
          py::arg("stage"), py::arg("diffusion_steps") = 1000,
          "Raises ValueError naming `stage`.field, its value and what is allowed. The respacing "
          "must fit a model of diffusion_steps steps; 0 checks only its form.");
  add_value_methods(stage, "StageParams", kStageFields);
  require_init<StageParams>();

  py::class_<GenerationParams> generation(
      m, "GenerationParams", "Everything one generation depends on (glide::GenerationParams).");
  generation.def(py::init<>())
      .def_readwrite("prompts", &GenerationParams::prompts,
                     "One prompt per image, or one for all batch_size images.")
      .def_readwrite("batch_size", &GenerationParams::batch_size)
      .def_readonly_static("MAX_BATCH_SIZE", &GenerationParams::kMaxBatchSize,
                           "The largest batch_size.")
      .def_readwrite("negative_prompt", &GenerationParams::negative_prompt)
      .def_readwrite("base", &GenerationParams::base)
      .def_readwrite("upsampler", &GenerationParams::upsampler)
      .def_readwrite("upsample", &GenerationParams::upsample)
      .def_readwrite("seed", &GenerationParams::seed,
                     "Image k of a batch uses seed + k, so it equals that image made alone.")
      .def_property(
          "device", [](const GenerationParams& p) { return p.device.str(); },
          [](GenerationParams& p, const std::string& d) { p.device = parse_device(d); })
      .def_property(
          "dtype", [](const GenerationParams& p) { return dtype_name(p.dtype); },
          [](GenerationParams& p, const std::string& d) { p.dtype = parse_dtype(d); })
      .def_readwrite("preview", &GenerationParams::preview,
                     "Pass each step's predicted x_0 to the progress callable.")
      .def("validate", &GenerationParams::validate,
           "Raises ValueError naming the first field that is out of range.");
  add_value_methods(generation, "GenerationParams", kGenerationFields);
  require_init<GenerationParams>();

  m.def(
      "ineffective_settings",
      [](const GenerationParams& params, const std::vector<std::string>& fields_set, bool base_runs,
         bool upsampler_runs) {
        std::vector<std::pair<std::string, std::string>> found;
        for (const IneffectiveSetting& s :
             ineffective_settings(params, fields_set, base_runs, upsampler_runs)) {
          found.emplace_back(s.field, reason_name(s.reason));
        }
        return found;
      },
      py::arg("params"), py::arg("fields_set"), py::arg("base_runs"), py::arg("upsampler_runs"),
      "Which of fields_set (\"base.guidance_scale\", \"negative_prompt\", ...) the other settings "
      "make pointless, as (field, reason) pairs; reason is \"stage_not_run\", \"stage_unguided\", "
      "\"thresholding_not_dynamic\" or \"no_stage_guided\".");
}

}  // namespace glide::python
