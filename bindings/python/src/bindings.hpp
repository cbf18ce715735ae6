#pragma once

#include <pybind11/pybind11.h>
#include <torch/types.h>

#include <optional>
#include <string>

#include "glide/models/config.hpp"

namespace glide::python {

void bind_params(pybind11::module_& m);
void bind_pipeline(pybind11::module_& m);
void bind_checkpoints(pybind11::module_& m);
void bind_png(pybind11::module_& m);
void bind_train(pybind11::module_& m);

// A preset name ("base", "upsampler", "base-inpaint", "upsampler-inpaint"), ModelConfig JSON,
// or nothing (the checkpoint's metadata, else inferred from its keys and shapes). `argument`
// names the Python argument in errors.
std::optional<ModelConfig> model_config(const std::optional<std::string>& text,
                                        const char* argument);

// "cpu", "cuda", "cuda:1"; "float32", "float16", "bfloat16". glide::Error(invalid_argument)
// naming the value otherwise.
torch::Device parse_device(const std::string& text);
torch::Dtype parse_dtype(const std::string& text);
std::string dtype_name(torch::Dtype dtype);

}  // namespace glide::python
