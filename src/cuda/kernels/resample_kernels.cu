// A ResBlock's up- and downsampling (nearest x2, 2x2 mean) on channels-last tensors. LibTorch's
// channels-last kernels for these ran at about a tenth of HBM's bandwidth in the H200 profile of
// 2026-11-27 (7.7 of the upsampler's 89.6 ms a step at batch 16, for about 3 GB of traffic);
// here each thread writes one 16-byte pack of an output pixel's channels, so a warp's stores
// cover whole runs of channels.
#include <cstdint>

#include "cuda/kernels/device_elements.cuh"  // before the launchers' headers: CUDA's types
#include "cuda/kernels/resample_kernels.cuh"

namespace glide::cuda::kernels {
namespace {

constexpr int kThreads = kElementwiseThreads;

// Unit is Pack<T> or Single<T>: `units` per pixel, out_h x out_w output pixels per sample.
template <typename T, typename Unit, typename Index>
__global__ void __launch_bounds__(kThreads)
    nearest_up2_kernel(const T* __restrict__ in, T* __restrict__ out, Index total, Index units,
                       Index out_h, Index out_w) {
  const auto* in_units = reinterpret_cast<const Unit*>(in);
  auto* out_units = reinterpret_cast<Unit*>(out);
  const Index in_h = out_h / 2, in_w = out_w / 2;
  const Index stride = static_cast<Index>(gridDim.x) * kThreads;
  for (Index i = static_cast<Index>(blockIdx.x) * kThreads + threadIdx.x; i < total; i += stride) {
    const Index unit = i % units, pixel = i / units;
    const Index x = pixel % out_w, rest = pixel / out_w;
    const Index y = rest % out_h, sample = rest / out_h;
    out_units[i] = in_units[((sample * in_h + y / 2) * in_w + x / 2) * units + unit];
  }
}

template <typename T, typename Unit, typename Index>
__global__ void __launch_bounds__(kThreads)
    average_down2_kernel(const T* __restrict__ in, T* __restrict__ out, Index total, Index units,
                         Index out_h, Index out_w) {
  constexpr int n = Unit::size;
  const auto* in_units = reinterpret_cast<const Unit*>(in);
  auto* out_units = reinterpret_cast<Unit*>(out);
  const Index in_w = out_w * 2;
  const Index row = in_w * units;  // units between vertically adjacent input pixels
  const Index stride = static_cast<Index>(gridDim.x) * kThreads;
  for (Index i = static_cast<Index>(blockIdx.x) * kThreads + threadIdx.x; i < total; i += stride) {
    const Index unit = i % units, pixel = i / units;
    const Index x = pixel % out_w, rest = pixel / out_w;
    const Index y = rest % out_h, sample = rest / out_h;
    const Index top_left = ((sample * out_h * 2 + y * 2) * in_w + x * 2) * units + unit;
    // LibTorch's order: the top row left to right, then the bottom row.
    const Unit a = in_units[top_left], b = in_units[top_left + units];
    const Unit c = in_units[top_left + row], d = in_units[top_left + row + units];
    Unit result;
    for (int k = 0; k < n; ++k) {
      float sum = to_float(a.v[k]);
      sum += to_float(b.v[k]);
      sum += to_float(c.v[k]);
      sum += to_float(d.v[k]);
      result.v[k] = from_float<T>(sum / 4);
    }
    out_units[i] = result;
  }
}

template <typename T, typename Unit, typename Index>
cudaError_t launch_units(const ResampleArgs& a, cudaStream_t stream) {
  const bool up = a.mode == Resampling::nearest_up2;
  const Index out_h = static_cast<Index>(up ? a.h * 2 : a.h / 2);
  const Index out_w = static_cast<Index>(up ? a.w * 2 : a.w / 2);
  const Index units = static_cast<Index>(a.c / Unit::size);
  const Index total = static_cast<Index>(a.n) * out_h * out_w * units;
  if (total == 0) return cudaSuccess;
  const auto* in = static_cast<const T*>(a.in);
  auto* out = static_cast<T*>(a.out);
  const unsigned blocks = grid_stride_blocks(total, kThreads, a.multiprocessors);
  // Named first: a template's comma would split the launch macro's arguments.
  if (up) {
    const auto kernel = nearest_up2_kernel<T, Unit, Index>;
    GLIDE_LAUNCH(kernel, blocks, kThreads, stream, in, out, total, units, out_h, out_w);
  } else {
    const auto kernel = average_down2_kernel<T, Unit, Index>;
    GLIDE_LAUNCH(kernel, blocks, kThreads, stream, in, out, total, units, out_h, out_w);
  }
  return cudaGetLastError();
}

}  // namespace

bool resample_packed(const ResampleArgs& a) {
  return a.c % pack_size(a.element) == 0 && pack_aligned(a.in) && pack_aligned(a.out);
}

cudaError_t launch_resample(const ResampleArgs& a, cudaStream_t stream) {
  if (a.mode == Resampling::average_down2 && (a.h % 2 != 0 || a.w % 2 != 0)) {
    return cudaErrorInvalidValue;
  }
  // The larger of the two tensors bounds the indices.
  const int64_t elements = a.n * a.c * a.h * a.w * (a.mode == Resampling::nearest_up2 ? 4 : 1);
  const bool packed = resample_packed(a);
  return with_element_and_index(a.element, elements, [&](auto element, auto index) {
    using T = decltype(element);
    using Index = decltype(index);
    return packed ? launch_units<T, Pack<T>, Index>(a, stream)
                  : launch_units<T, Single<T>, Index>(a, stream);
  });
}

}  // namespace glide::cuda::kernels
