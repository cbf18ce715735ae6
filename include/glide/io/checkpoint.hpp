#pragma once

#include <torch/nn/module.h>
#include <torch/types.h>

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "glide/io/value.hpp"

namespace glide {

enum class CheckpointFormat { torch_zip, safetensors };
const char* format_name(CheckpointFormat format);  // "torch-zip", "safetensors"

// Tensors by name, in file order. Tensors read from disk are views of one copy of the whole file
// held in memory (not a mapping of it): nothing done to the file afterwards reaches them, and
// writing to such a tensor never changes the file.
class StateDict {
 public:
  void insert(std::string name, torch::Tensor tensor);  // an existing name is an error
  bool contains(const std::string& name) const;
  const torch::Tensor& at(const std::string& name) const;  // glide::Error(not_found) names the key
  const std::vector<std::pair<std::string, torch::Tensor>>& items() const { return items_; }
  std::vector<std::string> keys() const;
  size_t size() const { return items_.size(); }
  int64_t parameter_count() const;  // sum of numel

 private:
  std::vector<std::pair<std::string, torch::Tensor>> items_;
  std::map<std::string, size_t> index_;
};

// What the file on disk was and what it held.
struct Checkpoint {
  CheckpointFormat format;
  StateDict tensors;
  std::map<std::string, std::string> metadata;  // safetensors __metadata__; empty for .pt
};

// Reads a checkpoint, recognising the format from the file's first bytes, not its name.
// Every failure is a glide::Error naming the file and what was wrong.
Checkpoint load_checkpoint(const std::string& path);

namespace io {
// "float32", "float16", "bfloat16", "int64", "bool", ... (the names numpy and torch print).
const char* dtype_name(torch::Dtype dtype);

// Tensor `name` cast to `dtype`, refused with glide::Error(invalid_argument) when the cast turns
// finite values into infinities (float16 holds magnitudes up to 65504): such a file would load,
// and every image would come out NaN. The message names the tensor, the count, the largest
// magnitude and what to use instead.
torch::Tensor cast_in_range(const std::string& name, const torch::Tensor& t, torch::Dtype dtype);

// Reads any file torch.save wrote (zip container) into a Value tree. Only the pickle opcodes and
// globals torch.save emits for tensors and plain data are accepted; nothing is executed.
Value load_torch_file(const std::string& path);
// The tensors of a torch.save'd state dict (OrderedDict or dict of tensors). Entries of the
// top-level dict that are not tensors are left out; any other top level is an error.
StateDict load_torch_state_dict(const std::string& path);

// Reads a .safetensors file; its __metadata__ goes to `metadata` when given.
StateDict load_safetensors(const std::string& path,
                           std::map<std::string, std::string>* metadata = nullptr);
// Refuses to replace an existing file unless `overwrite`; writes atomically with the rules of
// glide/io/files.hpp (a symlink's target replaced, read-only files and folders refused).
// Tensors on any device and of any layout are written as contiguous little-endian CPU data.
void save_safetensors(const StateDict& tensors, const std::string& path,
                      const std::map<std::string, std::string>& metadata = {},
                      bool overwrite = false);

// The top level of a .pt file save_torch_state_dict writes: a collections.OrderedDict, as
// torch.save(model.state_dict()) writes it and the official GLIDE checkpoints hold, or a plain
// dict, which LibTorch's torch::jit::pickle_load (1.13) also reads.
enum class TorchDictKind { ordered_dict, dict };

// Writes tensors as torch.save(state_dict) does, for torch.load and load_torch_state_dict: a zip
// of stored records `<stem>/data.pkl` (a protocol-2 pickle of the dict, tensors rebuilt with
// torch._utils._rebuild_tensor_v2), `<stem>/byteorder` ("little"), one `<stem>/data/<i>` per
// tensor (its data contiguous, 64-byte aligned in the file) and `<stem>/version` ("3"), where
// <stem> is the file name without its extension. Each tensor gets a storage of its own; tensors
// on any device and of any layout are written as contiguous CPU data, in the dict's order.
// Refuses to replace an existing file unless `overwrite`; writes atomically with the rules of
// glide/io/files.hpp.
void save_torch_state_dict(const StateDict& tensors, const std::string& path,
                           bool overwrite = false,
                           TorchDictKind kind = TorchDictKind::ordered_dict);
}  // namespace io

// Compares a state dict with a module's parameters and buffers. Throws one glide::Error that
// lists every missing, unexpected and shape-mismatched key.
void validate_state_dict(const StateDict& state, const torch::nn::Module& module);
// Validates, then copies the values into the module (casting to each parameter's dtype and
// device); the module's tensors keep their identity, so optimizers and views stay valid.
// Throws glide::Error(invalid_format) naming a floating-point tensor with NaN or infinite values.
void load_state_dict(torch::nn::Module& module, const StateDict& state);

}  // namespace glide
