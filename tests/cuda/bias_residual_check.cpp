// glide-cuda-check's part for the bias + residual kernel (src/cuda/kernels/bias_residual.hpp).
#include <ATen/ATen.h>
#include <fmt/format.h>

#include <cstdio>
#include <vector>

#include "cuda/checks.hpp"
#include "cuda/cuda_timing.hpp"
#include "cuda/kernels/bias_residual.hpp"
#include "cuda/norm_reference.hpp"

int check_bias_residual(const torch::Device& device) {
  struct Shape {
    int64_t n, c, h, w;
  };
  // The guided base at batch 1 and 16, the upsampler's full resolution at batch 1 and 16, and
  // shapes whose packs do not fit (odd pixels and channels).
  const std::vector<Shape> shapes{{2, 192, 64, 64},    {32, 384, 32, 32}, {1, 192, 256, 256},
                                  {16, 192, 256, 256}, {3, 96, 5, 7},     {2, 12, 1, 3}};
  const at::ScalarType dtypes[] = {at::kFloat, at::kHalf, at::kBFloat16};
  const double bounds[] = {1e-6, 1e-3, 8e-3};
  int failures = 0;
  std::printf("\nbias + residual: skip + (h + bias)\n%-20s %-8s %-4s %10s %9s %9s\n", "shape",
              "dtype", "nhwc", "error", "fused ms", "two ms");
  for (const Shape& s : shapes) {
    for (int d = 0; d < 3; ++d) {
      for (bool channels_last : {false, true}) {
        const auto options = at::TensorOptions().device(device).dtype(dtypes[d]);
        const auto layout =
            channels_last ? at::MemoryFormat::ChannelsLast : at::MemoryFormat::Contiguous;
        const auto h = at::randn({s.n, s.c, s.h, s.w}, options).contiguous(layout);
        const auto skip = (at::randn({s.n, s.c, s.h, s.w}, options) * 3).contiguous(layout);
        const auto bias = at::randn({s.c}, options);
        { auto poison = at::full({h.numel() * 4}, NAN, options); }  // unwritten output shows
        const auto out = glide::cuda::add_bias_residual(h, skip, bias);
        const auto exact = skip.to(at::kDouble) +
                           (h.to(at::kDouble) + bias.to(at::kDouble).reshape({1, -1, 1, 1}));
        const double err = glide::test::relative_error(out, exact);
        const bool ok =
            out.isfinite().all().item<bool>() && out.is_contiguous(layout) && err <= bounds[d];
        double fused_ms = 0, two_ms = 0;
        if (h.numel() >= (1 << 20) && dtypes[d] != at::kFloat) {
          fused_ms = glide::test::median_ms([&] { glide::cuda::add_bias_residual(h, skip, bias); });
          // LibTorch's way: the convolution's bias pass, then the residual sum.
          two_ms = glide::test::median_ms([&] {
            return skip + h.add(bias.reshape({1, -1, 1, 1}));
          });
        }
        std::printf("%-20s %-8s %-4s %10.2e %9.3f %9.3f %s\n",
                    fmt::format("{}x{}x{}x{}", s.n, s.c, s.h, s.w).c_str(),
                    c10::toString(dtypes[d]), channels_last ? "yes" : "no", err, fused_ms, two_ms,
                    ok ? "" : "FAIL");
        failures += !ok;
      }
    }
  }
  return failures;
}
