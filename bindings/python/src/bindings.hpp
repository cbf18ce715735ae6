#pragma once

#include <pybind11/pybind11.h>
#include <torch/types.h>

#include <optional>
#include <string>

#include "glide/device_and_dtype.hpp"
#include "glide/models/config.hpp"

namespace glide::python {

void bind_params(pybind11::module_& m);
void bind_pipeline(pybind11::module_& m);
void bind_checkpoints(pybind11::module_& m);
void bind_png(pybind11::module_& m);
void bind_records(pybind11::module_& m);
void bind_stats(pybind11::module_& m);
void bind_train(pybind11::module_& m);

// A preset name ("base", "upsampler", "base-inpaint", "upsampler-inpaint"), ModelConfig JSON,
// or nothing (the checkpoint's metadata, else inferred from its keys and shapes). `argument`
// names the Python argument in errors.
std::optional<ModelConfig> model_config(const std::optional<std::string>& text,
                                        const char* argument);

std::string dtype_name(torch::Dtype dtype);

// What a progress callable's result asks: None or True (numpy's bool_ too) to go on, False to
// stop. Anything else throws TypeError: a count or list returned by accident would otherwise
// stop the call on its first 0 or empty value.
bool callable_says_go_on(const pybind11::object& result);

}  // namespace glide::python
