// The extension module glide._glide. The public API is the pure-Python package around it
// (glide/__init__.py), which documents every function.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <string>
#include <vector>

#include "bindings.hpp"
#include "errors.hpp"
#include "gil.hpp"
#include "glide/models/model_options.hpp"
#include "glide/pipeline/default_models.hpp"
#include "glide/runtime.hpp"
#include "glide/samplers/sampler.hpp"
#include "glide/tokenizer.hpp"
#include "glide/version.hpp"

namespace py = pybind11;

PYBIND11_MODULE(_glide, m) {
  m.doc() = "glide's C++ library; import glide rather than this module.";
  glide::python::register_errors(m);
  m.attr("__version__") = glide::version_string();

  m.def("_drain_at_exit", &glide::python::drain_at_exit,
        "glide's atexit hook (glide/__init__.py): lets calls in other threads end or wait.");
  m.def(
      "tokenize",
      [](const std::string& text) {
        const glide::python::GilReleased released;
        return glide::Tokenizer::gpt2().encode(text);
      },
      py::arg("text"), "GLIDE's GPT-2 token ids of `text` (lower-cased first).");
  m.def(
      "detokenize",
      [](const std::vector<int64_t>& ids) {
        return py::bytes(glide::Tokenizer::gpt2().decode(ids)).attr("decode")("utf-8", "replace");
      },
      py::arg("ids"), "The text of GPT-2 token ids.");
  m.def("sampler_names", &glide::sampler_names, "The samplers a stage can use.");
  m.def("_names_model_options", &glide::names_model_options, py::arg("options_json"),
        "Whether a config JSON names a model option, not only diffusion and runtime ones.");
  m.def(
      "set_num_threads",
      [](int threads) {
        const glide::ScopedFlushDenormals interpreter_float_mode;
        glide::set_num_threads(threads);
      },
      py::arg("threads"), "LibTorch's CPU threads; 0 means one per core.");
  m.def("num_threads", &glide::num_threads,
        "The CPU threads glide's work uses: before the first call, the count it will set (one per "
        "core, or $GLIDE_NUM_THREADS, whose bad value raises ValueError).");
  m.def(
      "default_model_paths",
      [] {
        const auto p = glide::default_model_paths();
        py::dict d;
        d["base"] = p.base;
        d["upsampler"] = p.upsampler;
        d["directory"] = p.directory;
        return d;
      },
      "{'base', 'upsampler', 'directory'} of the default model pair; FileNotFoundError listing "
      "the directories searched when it is absent.");

  glide::python::bind_params(m);
  glide::python::bind_pipeline(m);
  glide::python::bind_checkpoints(m);
  glide::python::bind_png(m);
  glide::python::bind_records(m);
  glide::python::bind_stats(m);
  glide::python::bind_train(m);
}
