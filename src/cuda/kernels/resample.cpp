#include "cuda/kernels/resample.hpp"

#include <ATen/ATen.h>
#include <ATen/cuda/CUDAContext.h>
#include <c10/cuda/CUDAGuard.h>
#include <fmt/format.h>

#include "cuda/kernels/launch_check.hpp"
#include "cuda/kernels/resample_args.hpp"
#include "glide/error.hpp"

namespace glide::cuda {
namespace {

using kernels::Resampling;

bool takes(const torch::Tensor& x) {
  const auto type = x.scalar_type();
  return x.is_cuda() && x.dim() == 4 && x.is_contiguous(at::MemoryFormat::ChannelsLast) &&
         (type == at::kFloat || type == at::kHalf || type == at::kBFloat16);
}

torch::Tensor resample(const torch::Tensor& x, Resampling mode, const char* what) {
  const bool accepted =
      mode == Resampling::nearest_up2 ? upsample_nearest_2x_takes(x) : average_pool_2x_takes(x);
  if (!accepted) {
    throw Error(
        Status::invalid_argument,
        fmt::format("{}: x {} {} on {}; expected a 4-D channels-last CUDA tensor of "
                    "float32, float16 or bfloat16{}",
                    what, c10::str(x.sizes()), c10::toString(x.scalar_type()), x.device().str(),
                    mode == Resampling::average_down2 ? " of even height and width" : ""));
  }
  const c10::cuda::CUDAGuard guard(x.device());
  const auto out = at::empty(kernels::resampled_sizes(x, mode),
                             x.options().memory_format(at::MemoryFormat::ChannelsLast));
  kernels::ResampleArgs args = kernels::resample_args(x, out, mode);
  args.multiprocessors = at::cuda::getCurrentDeviceProperties()->multiProcessorCount;
  check_launch(kernels::launch_resample(args, at::cuda::getCurrentCUDAStream().stream()), what);
  return out;
}

}  // namespace

bool upsample_nearest_2x_takes(const torch::Tensor& x) {
  return takes(x);
}

bool average_pool_2x_takes(const torch::Tensor& x) {
  return takes(x) && x.size(2) % 2 == 0 && x.size(3) % 2 == 0;
}

torch::Tensor upsample_nearest_2x(const torch::Tensor& x) {
  return resample(x, Resampling::nearest_up2, "nearest upsampling");
}

torch::Tensor average_pool_2x(const torch::Tensor& x) {
  return resample(x, Resampling::average_down2, "average pooling");
}

}  // namespace glide::cuda
