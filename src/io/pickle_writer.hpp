#pragma once

#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "glide/io/checkpoint.hpp"

namespace glide::io::detail {

// One entry of a state dict as torch.save pickles it: the storage record it lives in
// (`data/<storage_key>`, `storage_numel` elements of `dtype`) and its view of that storage.
struct PickledTensor {
  std::string name;
  torch::Dtype dtype;
  std::string storage_key;
  int64_t storage_numel = 0;
  int64_t offset = 0;
  std::vector<int64_t> sizes;
  std::vector<int64_t> strides;
};

// The data.pkl of torch.save(state_dict): a protocol-2 pickle of a collections.OrderedDict (or a
// dict) mapping each name to torch._utils._rebuild_tensor_v2(storage, offset, sizes, strides,
// False, OrderedDict()), the storage given by the persistent id
// ('storage', torch.<Type>Storage, key, 'cpu', numel). Names must be UTF-8 and dtypes ones that
// storage_class_name() knows; the caller checks both (this throws glide::Error(invalid_argument)
// otherwise).
std::vector<uint8_t> pickle_state_dict(const std::vector<PickledTensor>& tensors,
                                       TorchDictKind kind);

}  // namespace glide::io::detail
