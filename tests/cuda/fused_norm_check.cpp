// glide-cuda-check: the fused group norm (src/cuda/kernels) against float64 on the GPU, for the
// UNet's shapes in both memory layouts and every dtype, and its time against the composition of
// LibTorch ops it replaces (models::norm_act_unfused); then the bias + residual kernel, the copy
// kernels (resampling, concatenation) and CUDA graphs sharing a memory pool (checks.hpp). Built
// only when glide has its CUDA kernels; bench/gpu.sh runs it. Exits 1 when an error bound is
// exceeded.
#include <ATen/ATen.h>
#include <ATen/cuda/CUDAEvent.h>
#include <c10/cuda/CUDAFunctions.h>
#include <fmt/format.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "cuda/checks.hpp"
#include "cuda/cuda_timing.hpp"
#include "cuda/kernels/fused_group_norm.hpp"
#include "cuda/norm_reference.hpp"
#include "models/unet_blocks.hpp"

namespace {

struct Shape {
  int64_t n, c, h, w;
};

// A GroupNorm module (32 groups) holding gamma and beta, as the UNet's are.
torch::nn::GroupNorm norm_module(const torch::Tensor& gamma, const torch::Tensor& beta) {
  torch::nn::GroupNorm norm(torch::nn::GroupNormOptions(32, gamma.size(0)).eps(1e-5));
  norm->to(gamma.device());
  torch::NoGradGuard no_grad;
  norm->weight.copy_(gamma);
  norm->bias.copy_(beta);
  return norm;
}

// LibTorch's composition, as the UNet runs it with GLIDE_FUSED_NORM=0.
torch::Tensor composed(const torch::Tensor& x, const torch::nn::GroupNorm& norm,
                       const torch::Tensor& scale, const torch::Tensor& shift, bool silu,
                       const torch::Tensor& input_bias) {
  return glide::models::norm_act_unfused(
      x, norm, silu ? glide::models::Activation::silu : glide::models::Activation::none, scale,
      shift, input_bias);
}

}  // namespace

int main() try {
  torch::manual_seed(0);
  const auto device = torch::Device(torch::kCUDA);
  // The official base (64x64, 192..768 channels) and upsampler (256x256, 192..768) activations;
  // 2 and 32 rows for the guided base at batch 1 and 16, an odd channel count per group, and a
  // 1x1 image.
  const std::vector<Shape> shapes{{2, 192, 64, 64},   {2, 768, 8, 8},    {32, 384, 32, 32},
                                  {1, 192, 256, 256}, {16, 384, 64, 64}, {3, 96, 5, 7},
                                  {4, 64, 1, 1}};
  // ||out - ref|| / ||ref|| for float32, float16, bfloat16. A wrong index or a lost variance gives
  // errors of order 1. In half precision, rounding once must do no worse than the composition's
  // rounding after each op.
  const double bounds[] = {1e-5, 1e-3, 8e-3};
  const at::ScalarType dtypes[] = {at::kFloat, at::kHalf, at::kBFloat16};
  int failures = 0;
  std::printf("%-20s %-8s %-4s %-10s %-10s %10s %10s %9s %9s\n", "shape", "dtype", "nhwc",
              "bias+scale", "act", "fused err", "composed", "fused ms", "comp. ms");
  for (const Shape& s : shapes) {
    for (int d = 0; d < 3; ++d) {
      for (bool channels_last : {false, true}) {
        // norm; norm + SiLU; as in a ResBlock's second norm: the first convolution's bias folded
        // in, scale/shift, SiLU.
        for (int variant = 0; variant < 3; ++variant) {
          const bool with_scale = variant == 2, silu = variant > 0;
          const auto options = torch::TensorOptions().device(device);
          // Offset activations (mean 3, std 2): the shifted sums must not lose the variance.
          auto x = (torch::randn({s.n, s.c, s.h, s.w}, options) * 2 + 3).to(dtypes[d]);
          if (channels_last) x = x.contiguous(at::MemoryFormat::ChannelsLast);
          const auto gamma = torch::rand({s.c}, options) + 0.5;
          const auto beta = torch::randn({s.c}, options) * 0.1;
          torch::Tensor scale, shift, input_bias;
          if (with_scale) {
            input_bias = (torch::randn({s.c}, options) * 0.5).to(dtypes[d]);
            // As the ResBlock has them: the two halves of one (N, 2C, 1, 1) tensor.
            const auto emb = (torch::randn({s.n, 2 * s.c, 1, 1}, options) * 0.5).to(dtypes[d]);
            const auto halves = emb.chunk(2, 1);
            scale = halves[0];
            shift = halves[1];
          }
          // Poison the allocator's free blocks so that an unwritten output shows.
          { auto poison = torch::full({x.numel() * 4}, NAN, options); }
          const auto out = glide::cuda::fused_group_norm(x, 32, gamma, beta, 1e-5, scale, shift,
                                                         silu, input_bias);
          const auto ref =
              glide::test::exact_norm_act(x, gamma, beta, scale, shift, silu, input_bias);
          const auto norm = norm_module(gamma, beta);  // outside the timed calls
          const auto baseline = composed(x, norm, scale, shift, silu, input_bias);
          const double err = glide::test::relative_error(out, ref);
          const double base_err = glide::test::relative_error(baseline, ref);
          const bool layout_kept = out.is_contiguous(channels_last ? at::MemoryFormat::ChannelsLast
                                                                   : at::MemoryFormat::Contiguous);
          const bool finite = out.isfinite().all().item<bool>();
          const bool ok = finite && layout_kept && err <= bounds[d] &&
                          (dtypes[d] == at::kFloat || err <= 1.5 * base_err);
          double fused_ms = 0, composed_ms = 0;
          if (s.n * s.c * s.h * s.w >= (1 << 20) && variant == 2) {
            fused_ms = glide::test::median_ms([&] {
              glide::cuda::fused_group_norm(x, 32, gamma, beta, 1e-5, scale, shift, true,
                                            input_bias);
            });
            composed_ms =
                glide::test::median_ms([&] { composed(x, norm, scale, shift, true, input_bias); });
          }
          std::printf("%-20s %-8s %-4s %-10s %-10s %10.2e %10.2e %9.3f %9.3f %s\n",
                      fmt::format("{}x{}x{}x{}", s.n, s.c, s.h, s.w).c_str(),
                      c10::toString(dtypes[d]), channels_last ? "yes" : "no",
                      with_scale ? "yes" : "no", silu ? "silu" : "none", err, base_err, fused_ms,
                      composed_ms,
                      ok ? ""
                         : (!finite        ? "FAIL (not finite)"
                            : !layout_kept ? "FAIL (layout)"
                                           : "FAIL (error)"));
          failures += !ok;
        }
      }
    }
  }
  // Bad input is refused with a message, not a crash.
  try {
    const auto x = torch::randn({2, 48, 4, 4}, torch::TensorOptions().device(device));
    glide::cuda::fused_group_norm(x, 32, torch::ones({48}), torch::zeros({48}), 1e-5, {}, {},
                                  false);
    std::printf("FAIL: 48 channels in 32 groups was accepted\n");
    ++failures;
  } catch (const std::exception& e) {
    std::printf("refused as expected: %s\n", e.what());
  }
  failures += check_bias_residual(device);
  failures += check_copy_kernels(device);
  failures += check_shared_graph_pool(device);
  std::printf("%s: %d failure(s)\n", failures ? "FAILED" : "passed", failures);
  return failures ? 1 : 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "glide-cuda-check: %s\n", e.what());
  return 2;
}
