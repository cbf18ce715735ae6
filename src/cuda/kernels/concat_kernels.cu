// A decoder block's input: its predecessor's output and the encoder's skip, concatenated along
// the channels of channels-last tensors. In the H200 profile of 2026-11-27 LibTorch's
// concatenation took 3.9 ms of the upsampler's 89.6 ms step at batch 16, about twice the time
// its traffic needs; here each thread writes one 16-byte pack of an output pixel, read from
// whichever input holds those channels.
#include <cstdint>

#include "cuda/kernels/concat_kernels.cuh"
#include "cuda/kernels/device_elements.cuh"  // before the launchers' headers: CUDA's types

namespace glide::cuda::kernels {
namespace {

constexpr int kThreads = kElementwiseThreads;

// Unit is Pack<T> or Single<T>; a pixel holds units_a of a's units, then units_b of b's.
template <typename T, typename Unit, typename Index>
__global__ void __launch_bounds__(kThreads)
    concat_kernel(const T* __restrict__ a, const T* __restrict__ b, T* __restrict__ out,
                  Index total, Index units_a, Index units_b) {
  const auto* a_units = reinterpret_cast<const Unit*>(a);
  const auto* b_units = reinterpret_cast<const Unit*>(b);
  auto* out_units = reinterpret_cast<Unit*>(out);
  const Index units = units_a + units_b;
  const Index stride = static_cast<Index>(gridDim.x) * kThreads;
  for (Index i = static_cast<Index>(blockIdx.x) * kThreads + threadIdx.x; i < total; i += stride) {
    const Index unit = i % units, pixel = i / units;
    out_units[i] = unit < units_a ? a_units[pixel * units_a + unit]
                                  : b_units[pixel * units_b + (unit - units_a)];
  }
}

template <typename T, typename Unit, typename Index>
cudaError_t launch_units(const ConcatArgs& args, cudaStream_t stream) {
  const Index units_a = static_cast<Index>(args.c_a / Unit::size);
  const Index units_b = static_cast<Index>(args.c_b / Unit::size);
  const Index total = static_cast<Index>(args.pixels) * (units_a + units_b);
  if (total == 0) return cudaSuccess;
  const auto kernel = concat_kernel<T, Unit, Index>;
  GLIDE_LAUNCH(kernel, grid_stride_blocks(total, kThreads, args.multiprocessors), kThreads, stream,
               static_cast<const T*>(args.a), static_cast<const T*>(args.b),
               static_cast<T*>(args.out), total, units_a, units_b);
  return cudaGetLastError();
}

}  // namespace

bool concat_packed(const ConcatArgs& args) {
  const int64_t n = pack_size(args.element);
  return args.c_a % n == 0 && args.c_b % n == 0 && pack_aligned(args.a) && pack_aligned(args.b) &&
         pack_aligned(args.out);
}

cudaError_t launch_concat(const ConcatArgs& args, cudaStream_t stream) {
  const bool packed = concat_packed(args);
  return with_element_and_index(args.element, args.pixels * (args.c_a + args.c_b),
                                [&](auto element, auto index) {
                                  using T = decltype(element);
                                  using Index = decltype(index);
                                  return packed ? launch_units<T, Pack<T>, Index>(args, stream)
                                                : launch_units<T, Single<T>, Index>(args, stream);
                                });
}

}  // namespace glide::cuda::kernels
