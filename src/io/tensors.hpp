#pragma once

#include <torch/types.h>

#include <cstddef>
#include <cstdint>
#include <memory>

// Tensors over bytes read from a checkpoint, shared by the torch.save and safetensors readers.
namespace glide::io::detail {

// Bytes of one element of the dtypes the readers accept; 0 for any other dtype.
size_t element_size(torch::Dtype dtype);

// numel * itemsize without overflow; false when it overflows or numel < 0.
bool checked_bytes(int64_t numel, size_t itemsize, uint64_t* bytes);

// A 1-D tensor of `numel` elements over `data`, kept alive by `owner` (nullptr: the caller keeps
// the bytes alive). Copied to fresh memory when `data` is not aligned for the dtype.
torch::Tensor tensor_over(const uint8_t* data, int64_t numel, torch::Dtype dtype,
                          std::shared_ptr<const void> owner);

}  // namespace glide::io::detail
