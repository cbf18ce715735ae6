// The bias + residual kernel (src/cuda/kernels/bias_residual_kernels.cu) on the CPU through
// tests/cuda/emulation.hpp, against float64: its channel indexing in both layouts, its packed and
// one-element paths, in every dtype. (glide-cuda-check runs it on a GPU.)
#include "cuda/emulation.hpp"
#define GLIDE_ELEMENTWISE_THREADS 64  // the emulation's cost grows with the block
#include "cuda/kernels/bias_residual_args.hpp"
#include "cuda/kernels/bias_residual_kernels.cu"
// (emulation.hpp's macros stay defined; nothing after this line needs CUDA's names.)

#include <ATen/ATen.h>
#include <fmt/format.h>

#include <catch2/catch.hpp>

#include "cuda/norm_reference.hpp"

namespace kernels = glide::cuda::kernels;

namespace {

// Runs the kernel on CPU tensors as add_bias_residual() does on CUDA ones; `out` gets the result.
kernels::BiasResidualArgs run_kernel(const at::Tensor& h, const at::Tensor& skip,
                                     const at::Tensor& bias, const at::Tensor& out) {
  out.fill_(NAN);  // an element the kernel leaves unwritten stays NaN
  kernels::BiasResidualArgs args = kernels::bias_residual_args(h, skip, bias, out);
  args.multiprocessors = 1;  // a small grid: the loop covers the rest
  REQUIRE(kernels::launch_bias_residual(args, nullptr) == cudaSuccess);
  return args;
}

}  // namespace

TEST_CASE("bias + residual matches float64 in every layout and dtype, packed or not",
          "[cuda][emulated]") {
  at::manual_seed(5);
  struct Shape {
    int64_t n, c, h, w;
  };
  // Packs in both layouts; packs in channels-last only (35 pixels); none in float16 (12 channels,
  // 3 pixels); one pixel.
  const Shape shapes[] = {{2, 64, 4, 4}, {1, 96, 5, 7}, {2, 12, 1, 3}, {3, 16, 1, 1}};
  const at::ScalarType dtypes[] = {at::kFloat, at::kHalf, at::kBFloat16};
  const double bounds[] = {1e-6, 1e-3, 8e-3};
  for (const Shape& s : shapes) {
    for (int d = 0; d < 3; ++d) {
      for (bool channels_last : {false, true}) {
        const auto layout =
            channels_last ? at::MemoryFormat::ChannelsLast : at::MemoryFormat::Contiguous;
        const auto h = at::randn({s.n, s.c, s.h, s.w}).to(dtypes[d]).contiguous(layout);
        const auto skip = (at::randn({s.n, s.c, s.h, s.w}) * 3).to(dtypes[d]).contiguous(layout);
        const auto bias = at::randn({s.c}).to(dtypes[d]);
        const auto out = at::empty_like(h);
        const auto args = run_kernel(h, skip, bias, out);
        const auto exact = skip.to(at::kDouble) +
                           (h.to(at::kDouble) + bias.to(at::kDouble).reshape({1, -1, 1, 1}));
        const double err = glide::test::relative_error(out, exact);
        INFO(fmt::format("{}x{}x{}x{} {} {}{}: error {:.2e}", s.n, s.c, s.h, s.w,
                         c10::toString(dtypes[d]), channels_last ? "channels-last" : "NCHW",
                         kernels::bias_residual_packed(args) ? ", packed" : "", err));
        CHECK(out.isfinite().all().item<bool>());
        CHECK(err <= bounds[d]);
        // The one-element path gives the same bits.
        const auto shifted_h = glide::test::misaligned_copy(h);
        const auto shifted_out = at::empty_like(h);
        const auto one_by_one = run_kernel(shifted_h, skip, bias, shifted_out);
        CHECK_FALSE(kernels::bias_residual_packed(one_by_one));
        CHECK(at::equal(out, shifted_out));
      }
    }
  }
}

TEST_CASE("bias + residual packs only where a pack stays in one channel or pixel",
          "[cuda][emulated]") {
  const auto aligned = at::empty({64}, at::kFloat);
  kernels::BiasResidualArgs args;
  args.h = args.skip = args.out = aligned.data_ptr();
  args.element = kernels::Element::float16;
  args.n = 1;
  args.c = 96;
  args.hw = 35;
  args.channels_last = false;
  CHECK_FALSE(kernels::bias_residual_packed(args));  // 35 pixels: packs would straddle channels
  args.channels_last = true;
  CHECK(kernels::bias_residual_packed(args));  // 96 channels: twelve packs a pixel
  args.c = 12;
  CHECK_FALSE(kernels::bias_residual_packed(args));  // 12 float16 channels: 1.5 packs a pixel
  args.element = kernels::Element::float32;
  CHECK(kernels::bias_residual_packed(args));  // 12 float32 channels: 3 packs
}
