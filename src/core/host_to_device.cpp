#include "core/host_to_device.hpp"

namespace glide {

torch::Tensor to_device_without_sync(const torch::Tensor& host, const torch::Device& device) {
  if (!device.is_cuda() || !host.is_cpu()) return host.to(device);
  const torch::Tensor staged = host.is_pinned() ? host : host.pin_memory();
  return staged.to(device, /*non_blocking=*/true);
}

torch::Tensor to_options_without_sync(const torch::Tensor& host, const at::TensorOptions& options) {
  return to_device_without_sync(host, options.device()).to(options.dtype().toScalarType());
}

at::TensorOptions host_staging_options(const torch::Device& device, at::ScalarType dtype) {
  return at::TensorOptions().dtype(dtype).pinned_memory(device.is_cuda());
}

}  // namespace glide
