// The fused group-norm kernels (src/cuda/kernels/group_norm_kernels.cu) run on the CPU through
// tests/cuda/emulation.hpp, against float64: their indexing in both layouts, the split partial
// sums, the coefficient folding and the roundings are tested on every machine, not only where a
// GPU is (there glide-cuda-check runs the same comparison on the device).
#include "cuda/emulation.hpp"
// The kernels themselves, compiled as C++ on the emulation above, with blocks of 2 warps instead
// of 8 (the emulation's cost grows with the block; the reduction across warps is the same code).
#define GLIDE_GROUP_NORM_THREADS 64
#include "cuda/kernels/group_norm_args.hpp"
#include "cuda/kernels/group_norm_kernels.cu"
// (emulation.hpp's macros stay defined; nothing after this line needs CUDA's names.)

#include <ATen/ATen.h>
#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <cmath>

#include "cuda/norm_reference.hpp"

namespace kernels = glide::cuda::kernels;

namespace {

struct Case {
  int64_t n, c, h, w;
  int splits;
};

// Runs the three kernels on CPU tensors as fused_group_norm() does on CUDA ones.
at::Tensor run_kernels(const at::Tensor& x, const at::Tensor& gamma, const at::Tensor& beta,
                       const at::Tensor& scale, const at::Tensor& shift, bool silu, int splits,
                       const at::Tensor& input_bias = {}, bool one_block = false,
                       bool pixel_major = false) {
  auto y = at::empty_like(x).fill_(NAN);  // an output the kernels leave unwritten stays NaN
  kernels::GroupNormArgs args =
      kernels::group_norm_args(x, y, gamma, beta, scale, shift, 32, 1e-5, silu, input_bias);
  args.multiprocessors = 2;  // a small grid for the elementwise pass: its loop covers the rest
  args.splits = splits;
  args.one_block = one_block;
  if (pixel_major) REQUIRE(kernels::group_norm_pixel_major(args));
  args.pixel_major = pixel_major;
  auto workspace = at::full({kernels::group_norm_workspace_floats(args)}, NAN, at::kFloat);
  args.workspace = workspace.data_ptr<float>();
  REQUIRE(kernels::launch_group_norm(args, nullptr) == cudaSuccess);
  return y;
}

// A float32 result rounded to like's dtype: CUDA's float16 and bfloat16 ops compute in float32
// and round each result. (models::norm_act itself cannot run here: LibTorch 1.13 has no CPU SiLU
// for float16.)
at::Tensor rounded(const at::Tensor& result_in_float, const at::Tensor& like) {
  return result_in_float.to(like.scalar_type());
}

// LibTorch's composition as CUDA computes it: the input bias added and rounded, the float32 norm
// rounded to x's dtype, then scale, shift and SiLU, each rounded.
at::Tensor composed(const at::Tensor& x, const at::Tensor& gamma, const at::Tensor& beta,
                    const at::Tensor& scale, const at::Tensor& shift,
                    const at::Tensor& input_bias) {
  const auto biased =
      input_bias.defined()
          ? rounded(x.to(at::kFloat) + input_bias.to(at::kFloat).reshape({1, -1, 1, 1}), x)
          : x;
  auto h = rounded(at::group_norm(biased.to(at::kFloat), 32, gamma, beta, 1e-5), x);
  if (!scale.defined()) return h;
  const auto factor = rounded(1 + scale.to(at::kFloat), x);
  h = rounded(h.to(at::kFloat) * factor.to(at::kFloat), x);
  h = rounded(h.to(at::kFloat) + shift.to(at::kFloat), x);
  return rounded(at::silu(h.to(at::kFloat)), x);
}

}  // namespace

TEST_CASE("the fused group norm kernels match float64 in every layout and dtype",
          "[cuda][emulated]") {
  at::manual_seed(7);
  // Two channels per group; three channels and an odd pixel count; a 1x1 image; a group long
  // enough to be summed by three blocks.
  const Case cases[] = {{2, 64, 4, 4, 1}, {1, 96, 5, 7, 2}, {3, 64, 1, 1, 1}, {1, 64, 40, 40, 3}};
  const at::ScalarType dtypes[] = {at::kFloat, at::kHalf, at::kBFloat16};
  const double bounds[] = {1e-5, 1e-3, 8e-3};
  for (const Case& k : cases) {
    for (int d = 0; d < 3; ++d) {
      // Every shape in float16; float32 and bfloat16 (another load and store) on one.
      if (dtypes[d] != at::kHalf && k.c != 96) continue;
      for (bool channels_last : {false, true}) {
        for (bool scaled : {false, true}) {
          // Offset activations (mean 3, std 2): shifted sums must keep the variance.
          auto x = (at::randn({k.n, k.c, k.h, k.w}, at::kFloat) * 2 + 3).to(dtypes[d]);
          if (channels_last) x = x.contiguous(at::MemoryFormat::ChannelsLast);
          const auto gamma = at::rand({k.c}, at::kFloat) + 0.5;
          const auto beta = at::randn({k.c}, at::kFloat) * 0.1;
          at::Tensor scale, shift, scale_rows, shift_rows, input_bias;
          if (scaled) {
            // As in a ResBlock's second norm, with its convolution's bias folded in.
            input_bias = (at::randn({k.c}, at::kFloat) * 0.5).to(dtypes[d]);
            // As in a ResBlock: the halves of one (N, 2C) tensor, rows 2C apart.
            const auto emb = (at::randn({k.n, 2 * k.c}, at::kFloat) * 0.5).to(dtypes[d]);
            scale_rows = emb.narrow(1, 0, k.c);
            shift_rows = emb.narrow(1, k.c, k.c);
            scale = scale_rows.reshape({k.n, k.c, 1, 1});
            shift = shift_rows.reshape({k.n, k.c, 1, 1});
          }
          const auto exact =
              glide::test::exact_norm_act(x, gamma, beta, scale, shift, scaled, input_bias);
          const double composed_err = glide::test::relative_error(
              composed(x, gamma, beta, scale, shift, input_bias), exact);
          // The three kernels with group-major sums, with pixel-major sums (channels-last), and
          // one block per group (every case here is small enough for it).
          for (int path = 0; path < 3; ++path) {
            const bool pixel_major = path == 1, one_block = path == 2;
            // (A one-pixel channels-last tensor is contiguous: the kernels see NCHW.)
            if (pixel_major && x.is_contiguous()) continue;
            const auto out = run_kernels(x, gamma, beta, scale_rows, shift_rows, scaled, k.splits,
                                         input_bias, one_block, pixel_major);
            const double err = glide::test::relative_error(out, exact);
            INFO(fmt::format("{}x{}x{}x{} {} {} {}{}: error {:.2e}, LibTorch's composition {:.2e}",
                             k.n, k.c, k.h, k.w, c10::toString(dtypes[d]),
                             channels_last ? "channels-last" : "NCHW",
                             scaled ? "input bias, scale/shift + SiLU" : "norm only",
                             one_block     ? ", one block"
                             : pixel_major ? ", pixel-major sums"
                                           : "",
                             err, composed_err));
            CHECK(out.isfinite().all().item<bool>());
            CHECK(err <= bounds[d]);
            // One rounding at the store does no worse than one after each op.
            if (dtypes[d] != at::kFloat) CHECK(err <= 1.5 * composed_err);
          }
        }
      }
    }
  }
}

TEST_CASE("the statistics are split over enough blocks to fill the device, and no more",
          "[cuda][emulated]") {
  kernels::GroupNormArgs args;
  args.groups = 32;
  args.multiprocessors = 132;  // an H100's or H200's
  // Guided base at batch 1: 2 rows x 32 groups of 6 x 64 x 64; 264 blocks wanted.
  args.n = 2;
  args.c = 192;
  args.hw = 64 * 64;
  CHECK(kernels::group_norm_splits(args) == 5);  // ceil(264 / 64) = 5, 24,576 / 2,048 allows 12
  // 32 rows already give 1,024 blocks.
  args.n = 32;
  CHECK(kernels::group_norm_splits(args) == 1);
  // A tiny group is never split below 8 elements a thread.
  args.n = 1;
  args.c = 64;
  args.hw = 4;
  CHECK(kernels::group_norm_splits(args) == 1);
  // The upsampler's 256 x 256 at batch 1: 9 blocks per group, under the cap of 64.
  args.c = 192;
  args.hw = 256 * 256;
  args.splits = kernels::group_norm_splits(args);
  CHECK(args.splits == 9);
  // Channels-last sums a pixel at a time: one block per sample and split, so a single sample
  // takes 256 splits (its cap; 264 wanted) and 16 samples 17 (272 blocks).
  args.channels_last = true;
  args.element = kernels::Element::float16;
  const auto aligned = at::empty({64}, at::kFloat);
  args.x = aligned.data_ptr();
  REQUIRE(kernels::group_norm_pixel_major(args));
  args.pixel_major = true;
  CHECK(kernels::group_norm_splits(args) == 256);
  args.n = 16;
  CHECK(kernels::group_norm_splits(args) == 17);
  args.n = 1;
  args.pixel_major = false;
  // Two partial sums per group and split, then (a, b) per channel.
  CHECK(kernels::group_norm_workspace_floats(args) == 2 * 1 * 32 * 9 + 2 * 1 * 192);
}

TEST_CASE("the elementwise pass takes 16-byte packs where the layout allows, with equal results",
          "[cuda][emulated]") {
  at::manual_seed(11);
  const auto gamma = at::rand({64}, at::kFloat) + 0.5;
  const auto beta = at::randn({64}, at::kFloat) * 0.1;
  for (bool channels_last : {false, true}) {
    auto x = (at::randn({2, 64, 4, 4}, at::kFloat) * 2 + 3).to(at::kHalf);
    if (channels_last) x = x.contiguous(at::MemoryFormat::ChannelsLast);
    const auto shifted = glide::test::misaligned_copy(x);  // same values, no packs
    auto y = at::empty_like(x);
    const auto packed_args =
        kernels::group_norm_args(x, y, gamma, beta, at::Tensor(), at::Tensor(), 32, 1e-5, true);
    const auto shifted_args = kernels::group_norm_args(shifted, y, gamma, beta, at::Tensor(),
                                                       at::Tensor(), 32, 1e-5, true);
    CHECK(kernels::packable<c10::Half>(packed_args));
    CHECK_FALSE(kernels::packable<c10::Half>(shifted_args));
    const auto packed = run_kernels(x, gamma, beta, {}, {}, true, 1);
    const auto one_by_one = run_kernels(shifted, gamma, beta, {}, {}, true, 1);
    INFO((channels_last ? "channels-last" : "NCHW"));
    CHECK(at::equal(packed, one_by_one));
  }
  // Packs never straddle two channels (NCHW) or two pixels (channels-last).
  kernels::GroupNormArgs args;
  auto aligned = at::empty({64}, at::kFloat);
  args.x = args.y = aligned.data_ptr();
  args.c = 96;
  args.hw = 35;
  args.channels_last = false;
  CHECK_FALSE(kernels::packable<c10::Half>(args));
  args.channels_last = true;
  CHECK(kernels::packable<c10::Half>(args));
  CHECK(kernels::packable<float>(args));
  args.c = 36;  // a multiple of float32's 4-element pack, not of float16's 8
  CHECK(kernels::packable<float>(args));
  CHECK_FALSE(kernels::packable<c10::Half>(args));
}

TEST_CASE("one block per group normalizes the base model's groups, not the upsampler's large ones",
          "[cuda][emulated]") {
  kernels::GroupNormArgs args;
  args.groups = 32;
  args.n = 2;
  // The base model at 64 x 64: 6 channels x 4,096 pixels = 24,576 elements a group.
  args.c = 192;
  args.hw = 64 * 64;
  CHECK(kernels::group_norm_one_block(args));
  // At batch 16 (32 rows) the tensor is large: bandwidth, not launches, decides.
  args.n = 32;
  CHECK_FALSE(kernels::group_norm_one_block(args));
  args.n = 2;
  // Its deepest level: 24 channels x 64 pixels.
  args.c = 768;
  args.hw = 8 * 8;
  CHECK(kernels::group_norm_one_block(args));
  // The upsampler at 128 x 128 and 256 x 256: 98,304 and 393,216 elements a group.
  args.c = 192;
  args.hw = 128 * 128;
  CHECK_FALSE(kernels::group_norm_one_block(args));
  args.hw = 256 * 256;
  CHECK_FALSE(kernels::group_norm_one_block(args));
  // More channels a group than the block keeps coefficients for.
  args.c = 32 * 65;
  args.hw = 1;
  CHECK_FALSE(kernels::group_norm_one_block(args));
}

TEST_CASE("channels-last sums go a pixel at a time where whole packs fit a pixel's channels",
          "[cuda][emulated]") {
  const auto aligned = at::empty({64}, at::kFloat);
  kernels::GroupNormArgs args;
  args.x = aligned.data_ptr();
  args.groups = 32;
  args.n = 1;
  args.hw = 256 * 256;
  args.c = 192;
  args.element = kernels::Element::float16;
  args.channels_last = false;
  CHECK_FALSE(kernels::group_norm_pixel_major(args));  // NCHW: a group is one contiguous run
  args.channels_last = true;
  CHECK(kernels::group_norm_pixel_major(args));  // 24 packs a pixel
  args.c = 12 * 32 / 8;                          // 48 channels: 6 float16 packs
  CHECK(kernels::group_norm_pixel_major(args));
  args.c = 36;  // 4.5 float16 packs, 9 float32 ones
  CHECK_FALSE(kernels::group_norm_pixel_major(args));
  args.element = kernels::Element::float32;
  CHECK(kernels::group_norm_pixel_major(args));
  args.c = 4096;  // more channels than the block sums
  CHECK_FALSE(kernels::group_norm_pixel_major(args));
  args.c = 192;
  const auto misaligned = glide::test::misaligned_copy(at::zeros({8}, at::kHalf));
  args.element = kernels::Element::float16;
  args.x = misaligned.data_ptr();
  CHECK_FALSE(kernels::group_norm_pixel_major(args));
}
