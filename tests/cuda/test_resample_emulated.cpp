// The resampling kernels (src/cuda/kernels/resample_kernels.cu) on the CPU through
// tests/cuda/emulation.hpp, against LibTorch's own upsample_nearest2d and avg_pool2d, which they
// replace on CUDA: the same values bit for bit, packed or one element at a time, in every dtype.
// (glide-cuda-check compares them on a GPU.)
#include "cuda/emulation.hpp"
#define GLIDE_ELEMENTWISE_THREADS 64  // the emulation's cost grows with the block
#include "cuda/kernels/resample_args.hpp"
#include "cuda/kernels/resample_kernels.cu"
// (emulation.hpp's macros stay defined; nothing after this line needs CUDA's names.)

#include <ATen/ATen.h>
#include <fmt/format.h>

#include <catch2/catch.hpp>

#include "cuda/norm_reference.hpp"

namespace kernels = glide::cuda::kernels;
using kernels::Resampling;

namespace {

// Runs the kernel on a CPU tensor as resample.cpp does on CUDA ones; `out` gets the result.
kernels::ResampleArgs run_kernel(const at::Tensor& in, const at::Tensor& out, Resampling mode) {
  out.fill_(NAN);  // an element the kernel leaves unwritten stays NaN
  kernels::ResampleArgs args = kernels::resample_args(in, out, mode);
  args.multiprocessors = 1;  // a small grid: the loop covers the rest
  REQUIRE(kernels::launch_resample(args, nullptr) == cudaSuccess);
  return args;
}

// LibTorch's result, computed in float32 (its CUDA kernels' arithmetic for every dtype) and
// rounded once.
at::Tensor libtorch_result(const at::Tensor& in, Resampling mode) {
  const auto x = in.to(at::kFloat);
  const auto out = mode == Resampling::nearest_up2
                       ? at::upsample_nearest2d(x, {x.size(2) * 2, x.size(3) * 2})
                       : at::avg_pool2d(x, {2, 2}, {2, 2});
  return out.to(in.scalar_type());
}

}  // namespace

TEST_CASE("resampling matches LibTorch's upsample_nearest2d and avg_pool2d bit for bit",
          "[cuda][emulated]") {
  at::manual_seed(7);
  struct Shape {
    int64_t n, c, h, w;
  };
  // Packs in every dtype; packs in float32 only (12 channels); none (5 channels); a single
  // pixel; rows and columns of different lengths, so that swapping them shows.
  const Shape shapes[] = {{2, 64, 4, 6}, {1, 12, 6, 4}, {3, 5, 2, 8}, {2, 16, 2, 2}};
  const at::ScalarType dtypes[] = {at::kFloat, at::kHalf, at::kBFloat16};
  for (const Shape& s : shapes) {
    for (const auto dtype : dtypes) {
      for (const auto mode : {Resampling::nearest_up2, Resampling::average_down2}) {
        const auto in = (at::randn({s.n, s.c, s.h, s.w}) * 4)
                            .to(dtype)
                            .contiguous(at::MemoryFormat::ChannelsLast);
        const auto out = at::empty(kernels::resampled_sizes(in, mode), in.options())
                             .contiguous(at::MemoryFormat::ChannelsLast);
        const auto args = run_kernel(in, out, mode);
        const auto expected = libtorch_result(in, mode);
        INFO(fmt::format("{}x{}x{}x{} {} {}{}", s.n, s.c, s.h, s.w, c10::toString(dtype),
                         mode == Resampling::nearest_up2 ? "up" : "down",
                         kernels::resample_packed(args) ? ", packed" : ""));
        REQUIRE(out.sizes() == expected.sizes());
        CHECK(at::equal(out, expected));
        // The one-element path gives the same bits.
        const auto shifted_in = glide::test::misaligned_copy(in);
        const auto shifted_out = at::empty_like(out);
        const auto one_by_one = run_kernel(shifted_in, shifted_out, mode);
        CHECK_FALSE(kernels::resample_packed(one_by_one));
        CHECK(at::equal(shifted_out, expected));
      }
    }
  }
}

TEST_CASE("resampling packs only whole pixels' channels and refuses odd sizes to average",
          "[cuda][emulated]") {
  const auto aligned = at::empty({64}, at::kFloat);
  kernels::ResampleArgs args;
  args.in = args.out = aligned.data_ptr();
  args.element = kernels::Element::float16;
  args.mode = Resampling::nearest_up2;
  args.n = 1;
  args.c = 96;
  args.h = args.w = 4;
  CHECK(kernels::resample_packed(args));  // twelve packs a pixel
  args.c = 12;
  CHECK_FALSE(kernels::resample_packed(args));  // 12 float16 channels: 1.5 packs a pixel
  args.element = kernels::Element::float32;
  CHECK(kernels::resample_packed(args));  // 12 float32 channels: 3 packs
  args.mode = Resampling::average_down2;
  args.h = 5;
  CHECK(kernels::launch_resample(args, nullptr) == cudaErrorInvalidValue);
}
