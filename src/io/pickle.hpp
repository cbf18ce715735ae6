#pragma once

#include <torch/types.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "glide/io/value.hpp"
#include "io/tensors.hpp"

namespace glide::io::detail {

// What torch.save's pickle asks for through BINPERSID:
// ('storage', torch.<Type>Storage, key, location, numel).
struct StorageRequest {
  std::string key;
  torch::Dtype dtype;
  int64_t numel;
  std::string location;  // "cpu", "cuda:0", ...: the data is always read to the CPU
};

// Returns a 1-D tensor of exactly request.numel elements of request.dtype (the same tensor when
// asked twice, so views share it), or throws glide::Error.
using StorageLoader = std::function<torch::Tensor(const StorageRequest&)>;

struct UnpickleLimits {
  size_t max_stack = size_t{1} << 20;  // values on the stack at once
  size_t max_memo = size_t{1} << 22;   // memo entries
  size_t max_depth = 64;               // nesting of lists, tuples and dicts
  size_t max_dims = 64;                // of a tensor
};

// The torch.<Type>Storage class that holds `dtype` ("FloatStorage"), or nullptr where the
// unpickler knows none.
const char* storage_class_name(torch::Dtype dtype);

// Whether the bytes are well-formed UTF-8 (what pickle's unicode opcodes must hold).
bool valid_utf8(const uint8_t* s, size_t n);

// A restricted unpickler for what torch.save writes (protocols 2 to 5): the opcodes for plain
// data, BINPERSID storages, and an allowlist of globals (collections.OrderedDict,
// torch._utils._rebuild_tensor_v2, torch._utils._rebuild_parameter, torch.Size and the typed
// storage classes). It executes nothing: any other global or opcode is a glide::Error, as is any
// length, index, size or stride that does not fit the input or the storage. Recursive objects
// are refused. `what` names the input in messages (e.g. "model.pt: data.pkl").
Value unpickle(const uint8_t* data, size_t size, const StorageLoader& load_storage,
               const std::string& what, const UnpickleLimits& limits = {});

}  // namespace glide::io::detail
