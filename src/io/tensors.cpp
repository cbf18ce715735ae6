#include "io/tensors.hpp"

#include <algorithm>
#include <cstring>
#include <string>

#include "glide/error.hpp"

namespace glide::io::detail {

size_t element_size(torch::Dtype dtype) {
  switch (dtype) {
    case torch::kFloat64:
    case torch::kInt64: return 8;
    case torch::kFloat32:
    case torch::kInt32: return 4;
    case torch::kFloat16:
    case torch::kBFloat16:
    case torch::kInt16: return 2;
    case torch::kInt8:
    case torch::kUInt8:
    case torch::kBool: return 1;
    default: return 0;
  }
}

bool checked_bytes(int64_t numel, size_t itemsize, uint64_t* bytes) {
  return numel >= 0 && !__builtin_mul_overflow(static_cast<uint64_t>(numel), itemsize, bytes);
}

torch::Tensor tensor_over(const uint8_t* data, int64_t numel, torch::Dtype dtype,
                          std::shared_ptr<const void> owner) {
  const size_t item = element_size(dtype);
  const auto options = torch::TensorOptions().dtype(dtype);
  if (numel == 0) return torch::empty({0}, options);
  if (dtype == torch::kBool) {
    // Any byte but 0 and 1 would be an invalid C++ bool inside torch's kernels.
    const uint8_t* bad = std::find_if(data, data + numel, [](uint8_t b) { return b > 1; });
    if (bad != data + numel) {
      throw Error(Status::invalid_format,
                  "a bool tensor holds the byte " + std::to_string(*bad) + " (expected 0 or 1)");
    }
  }
  if (reinterpret_cast<uintptr_t>(data) % item != 0) {
    auto copy = torch::empty({numel}, options);
    std::memcpy(copy.data_ptr(), data, static_cast<size_t>(numel) * item);
    return copy;
  }
  void* p = const_cast<uint8_t*>(data);
  if (!owner) return torch::from_blob(p, {numel}, options);
  return torch::from_blob(
      p, {numel}, [owner](void*) {}, options);
}

}  // namespace glide::io::detail
