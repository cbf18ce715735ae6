// glide-cuda-check's part for the copy kernels: resampling (src/cuda/kernels/resample.hpp) and
// channel concatenation (concat.hpp), the same values as LibTorch's CUDA upsample_nearest2d,
// avg_pool2d and cat, bit for bit, and their times.
#include <ATen/ATen.h>
#include <fmt/format.h>

#include <cstdio>
#include <vector>

#include "cuda/checks.hpp"
#include "cuda/cuda_timing.hpp"
#include "cuda/kernels/concat.hpp"
#include "cuda/kernels/resample.hpp"

namespace {

int check_resampling(const torch::Device& device) {
  struct Shape {
    int64_t n, c, h, w;
  };
  // The upsampler's largest resamplings at batch 1 and 16 (128 <-> 256 pixels), the base model's
  // at batch 16 with guidance, and shapes whose packs do not fit (odd channels).
  const std::vector<Shape> shapes{
      {1, 192, 128, 128}, {16, 192, 128, 128}, {32, 384, 32, 32}, {3, 5, 6, 4}, {2, 12, 8, 2}};
  const at::ScalarType dtypes[] = {at::kFloat, at::kHalf, at::kBFloat16};
  int failures = 0;
  std::printf(
      "\nresampling: nearest x2 and 2x2 mean against LibTorch's (bit for bit)\n"
      "%-20s %-8s %-5s %-6s %9s %12s\n",
      "input shape", "dtype", "mode", "equal", "glide ms", "libtorch ms");
  for (const Shape& s : shapes) {
    for (const auto dtype : dtypes) {
      for (const bool up : {true, false}) {
        // The mean takes the upsampled shape, so that both modes move the same pixels.
        const int64_t h = up ? s.h : s.h * 2, w = up ? s.w : s.w * 2;
        const auto x = at::randn({s.n, s.c, h, w}, at::TensorOptions().device(device).dtype(dtype))
                           .contiguous(at::MemoryFormat::ChannelsLast);
        const auto glide_op = [&] {
          return up ? glide::cuda::upsample_nearest_2x(x) : glide::cuda::average_pool_2x(x);
        };
        const auto libtorch_op = [&] {
          return up ? at::upsample_nearest2d(x, {h * 2, w * 2}) : at::avg_pool2d(x, {2, 2}, {2, 2});
        };
        { auto poison = at::full({x.numel() * 8}, NAN, x.options()); }  // unwritten output shows
        const auto out = glide_op();
        const auto expected = libtorch_op();
        const bool ok = out.sizes() == expected.sizes() && at::equal(out, expected) &&
                        out.is_contiguous(at::MemoryFormat::ChannelsLast);
        double glide_ms = 0, libtorch_ms = 0;
        if (x.numel() >= (1 << 20) && dtype != at::kFloat) {
          glide_ms = glide::test::median_ms(glide_op);
          libtorch_ms = glide::test::median_ms(libtorch_op);
        }
        std::printf("%-20s %-8s %-5s %-6s %9.3f %12.3f %s\n",
                    fmt::format("{}x{}x{}x{}", s.n, s.c, h, w).c_str(), c10::toString(dtype),
                    up ? "up" : "down", ok ? "yes" : "no", glide_ms, libtorch_ms, ok ? "" : "FAIL");
        failures += !ok;
      }
    }
  }
  return failures;
}

int check_concat(const torch::Device& device) {
  struct Shapes {
    int64_t n, c_a, c_b, h, w;
  };
  // The upsampler's first full-resolution decoder block at batch 1 and 16, the base model's at
  // batch 16 with guidance, and channel counts that fill no packs.
  const std::vector<Shapes> shapes{
      {1, 192, 192, 256, 256}, {16, 192, 192, 256, 256}, {32, 576, 384, 32, 32}, {2, 5, 12, 6, 4}};
  const at::ScalarType dtypes[] = {at::kFloat, at::kHalf, at::kBFloat16};
  int failures = 0;
  std::printf("\nchannel concatenation against at::cat (bit for bit)\n%-24s %-8s %-6s %9s %12s\n",
              "a + b", "dtype", "equal", "glide ms", "libtorch ms");
  for (const Shapes& s : shapes) {
    for (const auto dtype : dtypes) {
      const auto options = at::TensorOptions().device(device).dtype(dtype);
      const auto a =
          at::randn({s.n, s.c_a, s.h, s.w}, options).contiguous(at::MemoryFormat::ChannelsLast);
      const auto b =
          at::randn({s.n, s.c_b, s.h, s.w}, options).contiguous(at::MemoryFormat::ChannelsLast);
      { auto poison = at::full({(a.numel() + b.numel()) * 2}, NAN, options); }
      const auto out = glide::cuda::concat_channels(a, b);
      const bool ok =
          at::equal(out, at::cat({a, b}, 1)) && out.is_contiguous(at::MemoryFormat::ChannelsLast);
      double glide_ms = 0, libtorch_ms = 0;
      if (a.numel() >= (1 << 20) && dtype != at::kFloat) {
        glide_ms = glide::test::median_ms([&] { return glide::cuda::concat_channels(a, b); });
        libtorch_ms = glide::test::median_ms([&] { return at::cat({a, b}, 1); });
      }
      std::printf("%-24s %-8s %-6s %9.3f %12.3f %s\n",
                  fmt::format("{}x({}+{})x{}x{}", s.n, s.c_a, s.c_b, s.h, s.w).c_str(),
                  c10::toString(dtype), ok ? "yes" : "no", glide_ms, libtorch_ms, ok ? "" : "FAIL");
      failures += !ok;
    }
  }
  return failures;
}

}  // namespace

int check_copy_kernels(const torch::Device& device) {
  return check_resampling(device) + check_concat(device);
}
