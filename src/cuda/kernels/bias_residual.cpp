#include "cuda/kernels/bias_residual.hpp"

#include <ATen/ATen.h>
#include <ATen/cuda/CUDAContext.h>
#include <c10/cuda/CUDAGuard.h>
#include <fmt/format.h>

#include "cuda/kernels/bias_residual_args.hpp"
#include "cuda/kernels/launch_check.hpp"
#include "glide/error.hpp"

namespace glide::cuda {

bool bias_residual_takes(const torch::Tensor& h, const torch::Tensor& skip) {
  const auto type = h.scalar_type();
  if (!h.is_cuda() || h.dim() != 4 || skip.device() != h.device() || skip.scalar_type() != type ||
      skip.sizes() != h.sizes() ||
      !(type == at::kFloat || type == at::kHalf || type == at::kBFloat16)) {
    return false;
  }
  return (h.is_contiguous() && skip.is_contiguous()) ||
         (h.is_contiguous(at::MemoryFormat::ChannelsLast) &&
          skip.is_contiguous(at::MemoryFormat::ChannelsLast));
}

torch::Tensor add_bias_residual(const torch::Tensor& h, const torch::Tensor& skip,
                                const torch::Tensor& bias) {
  if (!bias_residual_takes(h, skip)) {
    throw Error(Status::invalid_argument,
                fmt::format("bias + residual: h {} {} on {} and skip {} {} on {}; expected 4-D "
                            "CUDA tensors of one float dtype, shape and dense layout",
                            c10::str(h.sizes()), c10::toString(h.scalar_type()), h.device().str(),
                            c10::str(skip.sizes()), c10::toString(skip.scalar_type()),
                            skip.device().str()));
  }
  if (!bias.defined() || bias.numel() != h.size(1)) {
    throw Error(Status::invalid_argument,
                fmt::format("bias + residual: a bias of {} values for {} channels; expected one "
                            "per channel",
                            bias.defined() ? bias.numel() : 0, h.size(1)));
  }
  const c10::cuda::CUDAGuard guard(h.device());
  const torch::Tensor bias_of_h = bias.to(h.device(), h.scalar_type()).contiguous();
  const torch::Tensor out = at::empty_like(h);  // h is dense: its layout is kept
  kernels::BiasResidualArgs args = kernels::bias_residual_args(h, skip, bias_of_h, out);
  args.multiprocessors = at::cuda::getCurrentDeviceProperties()->multiProcessorCount;
  check_launch(kernels::launch_bias_residual(args, at::cuda::getCurrentCUDAStream().stream()),
               "bias + residual");
  return out;
}

}  // namespace glide::cuda
