// glide.StageParams and glide.GenerationParams: the C++ structs with their fields, so the Python
// layer sets exactly what the C++ pipeline validates.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <string>
#include <utility>
#include <vector>

#include "bindings.hpp"
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

}  // namespace

void bind_params(py::module_& m) {
  py::class_<StageParams>(m, "StageParams",
                          "How one denoising stage samples (glide::StageParams). The defaults are "
                          "the reference's base stage.")
      .def(py::init<>())
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
            p.validate(stage, diffusion_steps);
          },
          py::arg("stage"), py::arg("diffusion_steps") = 1000,
          "Raises ValueError naming `stage`.field, its value and what is allowed.");

  py::class_<GenerationParams>(m, "GenerationParams",
                               "Everything one generation depends on (glide::GenerationParams).")
      .def(py::init<>())
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
