#include <fmt/format.h>
#include <torch/nn/module.h>

#include <algorithm>
#include <cstdio>
#include <limits>
#include <set>

#include "glide/error.hpp"
#include "glide/io/checkpoint.hpp"
#include "io/loaders.hpp"

namespace glide {

namespace {

std::string shape_string(const torch::Tensor& t) {
  std::string s = "[";
  for (int64_t i = 0; i < t.dim(); ++i) s += (i ? ", " : "") + std::to_string(t.size(i));
  return s + "]";
}

std::string first_bytes(const uint8_t* data, size_t size) {
  std::string s;
  char buf[4];
  for (size_t i = 0; i < std::min<size_t>(size, 8); ++i) {
    std::snprintf(buf, sizeof buf, "%s%02x", i ? " " : "", data[i]);
    s += buf;
  }
  return s;
}

// Parameters, then buffers, as named_parameters() and named_buffers() give them.
std::vector<std::pair<std::string, torch::Tensor>> module_tensors(const torch::nn::Module& m) {
  std::vector<std::pair<std::string, torch::Tensor>> out;
  for (const auto& item : m.named_parameters(/*recurse=*/true)) {
    out.emplace_back(item.key(), item.value());
  }
  for (const auto& item : m.named_buffers(/*recurse=*/true)) {
    out.emplace_back(item.key(), item.value());
  }
  return out;
}

}  // namespace

const char* format_name(CheckpointFormat format) {
  switch (format) {
    case CheckpointFormat::torch_zip: return "torch-zip";
    case CheckpointFormat::safetensors: return "safetensors";
  }
  return "unknown";
}

namespace io {
const char* dtype_name(torch::Dtype dtype) {
  switch (dtype) {
    case torch::kFloat64: return "float64";
    case torch::kFloat32: return "float32";
    case torch::kFloat16: return "float16";
    case torch::kBFloat16: return "bfloat16";
    case torch::kInt64: return "int64";
    case torch::kInt32: return "int32";
    case torch::kInt16: return "int16";
    case torch::kInt8: return "int8";
    case torch::kUInt8: return "uint8";
    case torch::kBool: return "bool";
    default: return c10::toString(dtype);
  }
}

torch::Tensor cast_in_range(const std::string& name, const torch::Tensor& t, torch::Dtype dtype) {
  torch::Tensor cast = t.to(dtype);
  const int64_t overflowed =
      torch::logical_and(torch::isinf(cast), torch::isfinite(t)).sum().item<int64_t>();
  if (overflowed > 0) {
    const double largest = t.abs().nan_to_num(0, 0, 0).max().item<double>();
    // The advice: the dtype the tensor has, or a narrower one that still holds its largest value.
    const auto holds = [&](torch::Dtype d) {
      return !torch::scalar_tensor(largest, torch::kFloat64).to(d).isinf().item<bool>();
    };
    const torch::Dtype source = t.scalar_type();
    std::string advice = std::string("Keep ") + dtype_name(source);
    for (const torch::Dtype d : {torch::kFloat16, torch::kBFloat16, torch::kFloat32}) {
      if (d != source && d != dtype && c10::elementSize(d) < c10::elementSize(source) && holds(d)) {
        advice += fmt::format(", or use {}, whose range holds it", dtype_name(d));
        break;
      }
    }
    // Nine significant digits tell a value just past float32's largest from that largest.
    throw Error(Status::invalid_argument,
                fmt::format("'{}' has {} value{} beyond {}'s range (the largest magnitude is "
                            "{:.9g}); they would become infinite. {}",
                            name, overflowed, overflowed == 1 ? "" : "s", dtype_name(dtype),
                            largest, advice));
  }
  return cast;
}
}  // namespace io

void StateDict::insert(std::string name, torch::Tensor tensor) {
  if (index_.count(name)) {
    throw Error(Status::invalid_argument,
                "the state dict already has a tensor named '" + name + "'");
  }
  index_.emplace(name, items_.size());
  items_.emplace_back(std::move(name), std::move(tensor));
}

bool StateDict::contains(const std::string& name) const {
  return index_.count(name) != 0;
}

const torch::Tensor& StateDict::at(const std::string& name) const {
  auto it = index_.find(name);
  if (it == index_.end()) {
    throw Error(Status::not_found, "the state dict has no tensor named '" + name + "'");
  }
  return items_[it->second].second;
}

std::vector<std::string> StateDict::keys() const {
  std::vector<std::string> out;
  out.reserve(items_.size());
  for (const auto& item : items_) out.push_back(item.first);
  return out;
}

int64_t StateDict::parameter_count() const {
  int64_t n = 0;
  for (const auto& item : items_) {
    // Views (expanded tensors) may count more elements than memory holds: saturate.
    if (__builtin_add_overflow(n, item.second.numel(), &n)) {
      return std::numeric_limits<int64_t>::max();
    }
  }
  return n;
}

Checkpoint load_checkpoint(const std::string& path) {
  const auto file = io::detail::FileBytes::open(path);
  const uint8_t* d = file->data();
  const size_t n = file->size();
  Checkpoint out;
  if (n >= 2 && d[0] == 'P' && d[1] == 'K') {
    out.format = CheckpointFormat::torch_zip;
    out.tensors = io::detail::state_dict_from(io::detail::read_torch_zip(file), path);
  } else if (io::detail::looks_like_safetensors(d, n)) {
    out.format = CheckpointFormat::safetensors;
    out.tensors = io::detail::read_safetensors(file, &out.metadata);
  } else if (n >= 3 && d[0] == 0x80 && d[2] == 0x8a) {
    io::detail::read_torch_zip(file);  // explains the legacy torch.save format
  } else {
    throw Error(Status::invalid_format,
                path +
                    ": not a checkpoint: expected a torch.save zip (starting 'PK') or a "
                    "safetensors file (an 8-byte header length, then '{'); it starts with " +
                    first_bytes(d, n));
  }
  return out;
}

void validate_state_dict(const StateDict& state, const torch::nn::Module& module) {
  std::vector<std::string> missing, unexpected, mismatched;
  std::set<std::string> expected;
  for (const auto& [name, t] : module_tensors(module)) {
    expected.insert(name);
    if (!state.contains(name)) {
      missing.push_back(name + " " + shape_string(t));
    } else if (state.at(name).sizes() != t.sizes()) {
      mismatched.push_back(name + ": the state dict has " + shape_string(state.at(name)) +
                           ", the module expects " + shape_string(t));
    }
  }
  for (const auto& [name, t] : state.items()) {
    if (!expected.count(name)) unexpected.push_back(name + " " + shape_string(t));
  }
  if (missing.empty() && unexpected.empty() && mismatched.empty()) return;
  std::string message = "the state dict does not match the module (" +
                        std::to_string(missing.size()) + " missing, " +
                        std::to_string(unexpected.size()) + " unexpected, " +
                        std::to_string(mismatched.size()) + " with the wrong shape): ";
  // One line, as every glide message: the CLI escapes line breaks (a name could hold one).
  std::vector<std::string> entries;
  for (const auto& s : missing) entries.push_back("missing: " + s);
  for (const auto& s : unexpected) entries.push_back("unexpected: " + s);
  for (const auto& s : mismatched) entries.push_back("wrong shape: " + s);
  // A whole other model differs in hundreds of tensors; the first few tell what happened.
  constexpr size_t kListed = 12;
  for (size_t i = 0; i < std::min(entries.size(), kListed); ++i) {
    message += (i ? "; " : "") + entries[i];
  }
  if (entries.size() > kListed) {
    message += "; and " + std::to_string(entries.size() - kListed) + " more";
  }
  throw Error(Status::invalid_argument, message);
}

void load_state_dict(torch::nn::Module& module, const StateDict& state) {
  validate_state_dict(state, module);
  torch::NoGradGuard no_grad;
  for (auto& [name, t] : module_tensors(module)) {
    try {
      t.copy_(state.at(name));
    } catch (const c10::Error& e) {
      throw Error(Status::invalid_argument,
                  "cannot copy '" + name + "' into the module: " + e.what_without_backtrace());
    }
    // One NaN weight makes every image NaN (black); say which tensor instead.
    if (t.is_floating_point() && !torch::isfinite(t).all().item<bool>()) {
      const int64_t bad = t.numel() - torch::isfinite(t).sum().item<int64_t>();
      throw Error(Status::invalid_format,
                  "'" + name + "' holds " + std::to_string(bad) + " NaN or infinite values of " +
                      std::to_string(t.numel()) +
                      " (a diverged training run, or a cast to float16 past its range?); such "
                      "weights make every output NaN");
    }
  }
}

}  // namespace glide
