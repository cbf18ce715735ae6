#pragma once

#include <torch/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "glide/io/checkpoint.hpp"

// The safetensors format (https://github.com/huggingface/safetensors): an 8-byte little-endian
// header length N, N bytes of JSON {"name": {"dtype", "shape", "data_offsets": [begin, end]},
// "__metadata__": {string: string}}, then the data, offsets counted from the end of the header.
namespace glide::io::detail {

struct SafetensorsEntry {
  std::string name;
  torch::Dtype dtype;
  std::vector<int64_t> shape;
  uint64_t begin = 0;  // relative to the start of the data
  uint64_t end = 0;
};

struct SafetensorsLayout {
  uint64_t data_start = 0;                // 8 + header length
  std::vector<SafetensorsEntry> entries;  // in the order of their data
  std::map<std::string, std::string> metadata;
};

// Parses and checks the header of a whole file held in memory: the header length fits the file
// (and is at most 100 MB), the JSON is an object of known dtypes and non-negative shapes, each
// tensor's bytes equal numel * itemsize and lie inside the data, and no two overlap. Throws
// glide::Error naming `what` and the tensor at fault.
SafetensorsLayout parse_safetensors(const uint8_t* data, size_t size, const std::string& what);

// The tensors of a parsed file: views of `data` kept alive by `owner` (see tensor_over).
StateDict safetensors_state_dict(const SafetensorsLayout& layout, const uint8_t* data,
                                 const std::shared_ptr<const void>& owner, const std::string& what);

}  // namespace glide::io::detail
