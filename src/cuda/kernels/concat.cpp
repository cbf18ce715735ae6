#include "cuda/kernels/concat.hpp"

#include <ATen/ATen.h>
#include <ATen/cuda/CUDAContext.h>
#include <c10/cuda/CUDAGuard.h>
#include <fmt/format.h>

#include "cuda/kernels/concat_args.hpp"
#include "cuda/kernels/launch_check.hpp"
#include "glide/error.hpp"

namespace glide::cuda {

bool concat_channels_takes(const torch::Tensor& a, const torch::Tensor& b) {
  const auto type = a.scalar_type();
  const auto channels_last = at::MemoryFormat::ChannelsLast;
  return a.is_cuda() && a.dim() == 4 && b.dim() == 4 && b.device() == a.device() &&
         b.scalar_type() == type &&
         (type == at::kFloat || type == at::kHalf || type == at::kBFloat16) &&
         a.size(0) == b.size(0) && a.size(2) == b.size(2) && a.size(3) == b.size(3) &&
         a.is_contiguous(channels_last) && b.is_contiguous(channels_last);
}

torch::Tensor concat_channels(const torch::Tensor& a, const torch::Tensor& b) {
  if (!concat_channels_takes(a, b)) {
    throw Error(Status::invalid_argument,
                fmt::format("channel concatenation: a {} {} on {} and b {} {} on {}; expected "
                            "4-D channels-last CUDA tensors of one float dtype, batch and size",
                            c10::str(a.sizes()), c10::toString(a.scalar_type()), a.device().str(),
                            c10::str(b.sizes()), c10::toString(b.scalar_type()), b.device().str()));
  }
  const c10::cuda::CUDAGuard guard(a.device());
  const auto out = at::empty({a.size(0), a.size(1) + b.size(1), a.size(2), a.size(3)},
                             a.options().memory_format(at::MemoryFormat::ChannelsLast));
  kernels::ConcatArgs args = kernels::concat_args(a, b, out);
  args.multiprocessors = at::cuda::getCurrentDeviceProperties()->multiProcessorCount;
  check_launch(kernels::launch_concat(args, at::cuda::getCurrentCUDAStream().stream()),
               "channel concatenation");
  return out;
}

}  // namespace glide::cuda
