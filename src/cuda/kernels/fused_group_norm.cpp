#include "cuda/kernels/fused_group_norm.hpp"

#include <ATen/ATen.h>
#include <ATen/cuda/CUDAContext.h>
#include <c10/cuda/CUDAGuard.h>
#include <fmt/format.h>

#include "cuda/kernels/group_norm_args.hpp"
#include "cuda/kernels/launch_check.hpp"
#include "glide/error.hpp"

namespace glide::cuda {
namespace {

// scale or shift as rows of x's dtype with unit channel stride, and the rows' stride.
torch::Tensor as_rows(const torch::Tensor& t, const torch::Tensor& x, const char* name) {
  const int64_t n = x.size(0), c = x.size(1);
  const bool shaped = (t.dim() == 2 || (t.dim() == 4 && t.size(2) == 1 && t.size(3) == 1)) &&
                      t.size(0) == n && t.size(1) == c;
  if (!shaped) {
    throw Error(Status::invalid_argument,
                fmt::format("fused group norm: {} has shape {}; expected ({}, {}, 1, 1)", name,
                            c10::str(t.sizes()), n, c));
  }
  auto rows = t.reshape({n, c}).to(x.scalar_type());
  return rows.stride(1) == 1 ? rows : rows.contiguous();
}

}  // namespace

bool fused_group_norm_takes(const torch::Tensor& x) {
  const auto type = x.scalar_type();
  return x.is_cuda() && x.dim() == 4 &&
         (type == at::kFloat || type == at::kHalf || type == at::kBFloat16);
}

torch::Tensor fused_group_norm(const torch::Tensor& x_in, int64_t groups,
                               const torch::Tensor& gamma, const torch::Tensor& beta, double eps,
                               const torch::Tensor& scale, const torch::Tensor& shift, bool silu,
                               const torch::Tensor& input_bias) {
  if (!fused_group_norm_takes(x_in)) {
    throw Error(Status::invalid_argument,
                fmt::format("fused group norm: x is a {}-D {} tensor on {}; expected a 4-D CUDA "
                            "tensor of float32, float16 or bfloat16",
                            x_in.dim(), c10::toString(x_in.scalar_type()), x_in.device().str()));
  }
  const int64_t c = x_in.size(1);
  if (groups <= 0 || c % groups != 0 || gamma.numel() != c || beta.numel() != c) {
    throw Error(Status::invalid_argument,
                fmt::format("fused group norm: {} channels, {} groups, gamma of {} and beta of {} "
                            "values; expected the channels to split evenly into groups and one "
                            "gamma and beta per channel",
                            c, groups, gamma.numel(), beta.numel()));
  }
  if (scale.defined() != shift.defined()) {
    throw Error(Status::invalid_argument, "fused group norm: give scale and shift together");
  }
  if (input_bias.defined() && input_bias.numel() != c) {
    throw Error(Status::invalid_argument,
                fmt::format("fused group norm: an input bias of {} values for {} channels; "
                            "expected one per channel",
                            input_bias.numel(), c));
  }
  const c10::cuda::CUDAGuard guard(x_in.device());
  const bool channels_last =
      !x_in.is_contiguous() && x_in.is_contiguous(at::MemoryFormat::ChannelsLast);
  const torch::Tensor x = channels_last ? x_in : x_in.contiguous();
  const torch::Tensor gamma32 = gamma.to(x.device(), at::kFloat).contiguous();
  const torch::Tensor beta32 = beta.to(x.device(), at::kFloat).contiguous();
  const torch::Tensor bias_of_x =
      input_bias.defined() ? input_bias.to(x.device(), x.scalar_type()).contiguous() : input_bias;
  torch::Tensor scale_rows, shift_rows;
  if (scale.defined()) {
    scale_rows = as_rows(scale, x, "scale");
    shift_rows = as_rows(shift, x, "shift");
    if (shift_rows.stride(0) != scale_rows.stride(0)) {  // the kernel takes one row stride
      scale_rows = scale_rows.contiguous();
      shift_rows = shift_rows.contiguous();
    }
  }
  torch::Tensor y = at::empty_like(
      x, channels_last ? at::MemoryFormat::ChannelsLast : at::MemoryFormat::Contiguous);

  kernels::GroupNormArgs args = kernels::group_norm_args(x, y, gamma32, beta32, scale_rows,
                                                         shift_rows, groups, eps, silu, bias_of_x);
  args.multiprocessors = at::cuda::getCurrentDeviceProperties()->multiProcessorCount;
  args.one_block = kernels::group_norm_one_block(args);
  args.pixel_major = kernels::group_norm_pixel_major(args);
  args.splits = kernels::group_norm_splits(args);
  // From the caching allocator, so that it is part of a CUDA graph's pool when captured.
  const torch::Tensor workspace =
      at::empty({kernels::group_norm_workspace_floats(args)}, x.options().dtype(at::kFloat));
  args.workspace = workspace.data_ptr<float>();
  check_launch(kernels::launch_group_norm(args, at::cuda::getCurrentCUDAStream().stream()),
               "fused group norm");
  return y;
}

}  // namespace glide::cuda
