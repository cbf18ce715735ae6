// A ResBlock's residual sum with its second convolution's bias: out = skip + (h + bias). LibTorch's
// cuDNN path adds a convolution's bias in a pass of its own over the output (for channels-last
// outputs through its non-vectorized broadcasting kernel), then the residual sum makes another;
// here the convolution runs without its bias and one pass reads h and skip and writes out.
#include <cstdint>

#include "cuda/kernels/bias_residual_kernels.cuh"
#include "cuda/kernels/device_elements.cuh"  // before the launchers' headers: CUDA's types

namespace glide::cuda::kernels {
namespace {

constexpr int kThreads = kElementwiseThreads;

// The reference's order: the bias joins h (inside the convolution), then the skip is added.
__device__ __forceinline__ float bias_residual(float h, float skip, float bias) {
  return skip + (h + bias);
}

template <typename T, typename Index>
__global__ void __launch_bounds__(kThreads)
    bias_residual_kernel(const T* __restrict__ h, const T* __restrict__ skip,
                         const T* __restrict__ bias, T* __restrict__ out, Index total, Index c,
                         Index hw, bool channels_last) {
  const Index stride = static_cast<Index>(gridDim.x) * kThreads;
  for (Index i = static_cast<Index>(blockIdx.x) * kThreads + threadIdx.x; i < total; i += stride) {
    const Index channel = channels_last ? i % c : (i / hw) % c;
    out[i] =
        from_float<T>(bias_residual(to_float(h[i]), to_float(skip[i]), to_float(bias[channel])));
  }
}

// A pack is one channel's pixels in NCHW (hw a multiple of the pack), one pixel's consecutive
// channels in channels-last (c a multiple of it).
template <typename T, typename Index>
__global__ void __launch_bounds__(kThreads)
    bias_residual_packed_kernel(const T* __restrict__ h, const T* __restrict__ skip,
                                const T* __restrict__ bias, T* __restrict__ out, Index packs,
                                Index c, Index hw, bool channels_last) {
  constexpr int n = Pack<T>::size;
  const auto* h_packs = reinterpret_cast<const Pack<T>*>(h);
  const auto* skip_packs = reinterpret_cast<const Pack<T>*>(skip);
  auto* out_packs = reinterpret_cast<Pack<T>*>(out);
  const Index stride = static_cast<Index>(gridDim.x) * kThreads;
  for (Index p = static_cast<Index>(blockIdx.x) * kThreads + threadIdx.x; p < packs; p += stride) {
    const Index i = p * n;
    const Pack<T> hv = h_packs[p], sv = skip_packs[p];
    Pack<T> result;
    if (channels_last) {
      const T* b = bias + i % c;
      for (int k = 0; k < n; ++k) {
        result.v[k] =
            from_float<T>(bias_residual(to_float(hv.v[k]), to_float(sv.v[k]), to_float(b[k])));
      }
    } else {
      const float b = to_float(bias[(i / hw) % c]);
      for (int k = 0; k < n; ++k) {
        result.v[k] = from_float<T>(bias_residual(to_float(hv.v[k]), to_float(sv.v[k]), b));
      }
    }
    out_packs[p] = result;
  }
}

template <typename T, typename Index>
cudaError_t launch_typed(const BiasResidualArgs& a, cudaStream_t stream) {
  const auto* h = static_cast<const T*>(a.h);
  const auto* skip = static_cast<const T*>(a.skip);
  const auto* bias = static_cast<const T*>(a.bias);
  auto* out = static_cast<T*>(a.out);
  const Index total = static_cast<Index>(a.n * a.c * a.hw);
  // Named first: a template's comma would split the launch macro's arguments.
  if (bias_residual_packed(a)) {
    const auto kernel = bias_residual_packed_kernel<T, Index>;
    const Index packs = total / Pack<T>::size;
    GLIDE_LAUNCH(kernel, grid_stride_blocks(packs, kThreads, a.multiprocessors), kThreads, stream,
                 h, skip, bias, out, packs, static_cast<Index>(a.c), static_cast<Index>(a.hw),
                 a.channels_last);
  } else {
    const auto kernel = bias_residual_kernel<T, Index>;
    GLIDE_LAUNCH(kernel, grid_stride_blocks(total, kThreads, a.multiprocessors), kThreads, stream,
                 h, skip, bias, out, total, static_cast<Index>(a.c), static_cast<Index>(a.hw),
                 a.channels_last);
  }
  return cudaGetLastError();
}

}  // namespace

bool bias_residual_packed(const BiasResidualArgs& a) {
  const int64_t n = pack_size(a.element);
  return (a.channels_last ? a.c % n == 0 : a.hw % n == 0) && pack_aligned(a.h) &&
         pack_aligned(a.skip) && pack_aligned(a.out);
}

cudaError_t launch_bias_residual(const BiasResidualArgs& a, cudaStream_t stream) {
  if (a.n * a.c * a.hw == 0) return cudaSuccess;
  return with_element_and_index(a.element, a.n * a.c * a.hw, [&](auto element, auto index) {
    return launch_typed<decltype(element), decltype(index)>(a, stream);
  });
}

}  // namespace glide::cuda::kernels
