// The channel concatenation kernel (src/cuda/kernels/concat_kernels.cu) on the CPU through
// tests/cuda/emulation.hpp, against at::cat: the same values, packed or one element at a time,
// in every dtype. (glide-cuda-check compares it on a GPU.)
#include "cuda/emulation.hpp"
#define GLIDE_ELEMENTWISE_THREADS 64  // the emulation's cost grows with the block
#include "cuda/kernels/concat_args.hpp"
#include "cuda/kernels/concat_kernels.cu"
// (emulation.hpp's macros stay defined; nothing after this line needs CUDA's names.)

#include <ATen/ATen.h>
#include <fmt/format.h>

#include <catch2/catch.hpp>

#include "cuda/norm_reference.hpp"

namespace kernels = glide::cuda::kernels;

namespace {

// Runs the kernel on CPU tensors as concat.cpp does on CUDA ones; `out` gets the result.
kernels::ConcatArgs run_kernel(const at::Tensor& a, const at::Tensor& b, const at::Tensor& out) {
  out.fill_(NAN);  // an element the kernel leaves unwritten stays NaN
  kernels::ConcatArgs args = kernels::concat_args(a, b, out);
  args.multiprocessors = 1;  // a small grid: the loop covers the rest
  REQUIRE(kernels::launch_concat(args, nullptr) == cudaSuccess);
  return args;
}

at::Tensor channels_last(const at::Tensor& t) {
  return t.contiguous(at::MemoryFormat::ChannelsLast);
}

}  // namespace

TEST_CASE("channel concatenation matches at::cat, packed or not", "[cuda][emulated]") {
  at::manual_seed(11);
  struct Shapes {
    int64_t n, c_a, c_b, h, w;
  };
  // Packs in every dtype; in float32 only (12 and 4 channels); none (5 channels); channel counts
  // that differ, so that taking b's share at a's offset shows.
  const Shapes shapes[] = {
      {2, 64, 32, 3, 5}, {1, 12, 4, 4, 4}, {3, 5, 16, 2, 3}, {2, 16, 48, 1, 1}};
  const at::ScalarType dtypes[] = {at::kFloat, at::kHalf, at::kBFloat16};
  for (const Shapes& s : shapes) {
    for (const auto dtype : dtypes) {
      const auto a = channels_last(at::randn({s.n, s.c_a, s.h, s.w}).to(dtype));
      const auto b = channels_last(at::randn({s.n, s.c_b, s.h, s.w}).to(dtype));
      const auto out = channels_last(at::empty({s.n, s.c_a + s.c_b, s.h, s.w}, a.options()));
      const auto args = run_kernel(a, b, out);
      const auto expected = at::cat({a, b}, 1);
      INFO(fmt::format("{}x({}+{})x{}x{} {}{}", s.n, s.c_a, s.c_b, s.h, s.w, c10::toString(dtype),
                       kernels::concat_packed(args) ? ", packed" : ""));
      CHECK(at::equal(out, expected));
      // The one-element path gives the same values.
      const auto shifted_out = at::empty_like(out);
      const auto one_by_one = run_kernel(glide::test::misaligned_copy(a), b, shifted_out);
      CHECK_FALSE(kernels::concat_packed(one_by_one));
      CHECK(at::equal(shifted_out, expected));
    }
  }
}

TEST_CASE("channel concatenation packs only where both inputs' channels fill whole packs",
          "[cuda][emulated]") {
  const auto aligned = at::empty({64}, at::kFloat);
  kernels::ConcatArgs args;
  args.a = args.b = args.out = aligned.data_ptr();
  args.element = kernels::Element::float16;
  args.pixels = 4;
  args.c_a = 192;
  args.c_b = 96;
  CHECK(kernels::concat_packed(args));
  args.c_b = 12;  // 1.5 packs of float16
  CHECK_FALSE(kernels::concat_packed(args));
  args.element = kernels::Element::float32;
  CHECK(kernels::concat_packed(args));  // 3 packs of float32
}
