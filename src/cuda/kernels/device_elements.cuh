#pragma once

// What glide's kernels share on the device: conversions between the element types and float32,
// and 16-byte packs of elements. For .cu files only (tests/cuda/emulation.hpp stands in for CUDA
// on the CPU, defining GLIDE_CUDA_EMULATION and the launch macro).
#ifndef GLIDE_CUDA_EMULATION
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#define GLIDE_LAUNCH(kernel, grid, block, stream, ...) \
  kernel<<<(grid), (block), 0, (stream)>>>(__VA_ARGS__)
#endif

#include <algorithm>
#include <cstdint>

#include "cuda/kernels/element.cuh"

namespace glide::cuda::kernels {

__device__ __forceinline__ float to_float(float v) {
  return v;
}
__device__ __forceinline__ float to_float(__half v) {
  return __half2float(v);
}
__device__ __forceinline__ float to_float(__nv_bfloat16 v) {
  return __bfloat162float(v);
}

template <typename T>
__device__ __forceinline__ T from_float(float v);
template <>
__device__ __forceinline__ float from_float<float>(float v) {
  return v;
}
template <>
__device__ __forceinline__ __half from_float<__half>(float v) {
  return __float2half_rn(v);
}
template <>
__device__ __forceinline__ __nv_bfloat16 from_float<__nv_bfloat16>(float v) {
  return __float2bfloat16_rn(v);
}

// 16 bytes of elements, loaded and stored as one. With one 2-byte element per load, a full GPU
// of threads keeps too few bytes in flight to cover HBM's latency; a pack per load moves eight.
template <typename T>
struct alignas(16) Pack {
  static constexpr int size = 16 / sizeof(T);
  T v[size];
};

// One element in a pack's shape, for kernels written once for both packed and one-element
// access.
template <typename T>
struct Single {
  static constexpr int size = 1;
  T v[1];
};

// Elements of `element` in a 16-byte pack: Pack<T>::size for its type.
inline int64_t pack_size(Element element) {
  return element == Element::float32 ? 4 : 8;
}
static_assert(Pack<float>::size == 4 && Pack<__half>::size == 8 && Pack<__nv_bfloat16>::size == 8);

inline bool pack_aligned(const void* p) {
  return reinterpret_cast<uintptr_t>(p) % 16 == 0;
}

// Threads per block of the grid-stride elementwise kernels (bias + residual, resampling,
// concatenation); the CPU emulation (tests/cuda) defines fewer, as its cost grows with the block.
#ifndef GLIDE_ELEMENTWISE_THREADS
#define GLIDE_ELEMENTWISE_THREADS 256
#endif
constexpr int kElementwiseThreads = GLIDE_ELEMENTWISE_THREADS;

// Blocks for a grid-stride pass over `items`: a few waves (8 blocks per multiprocessor), each
// thread looping over the rest.
inline unsigned grid_stride_blocks(int64_t items, int threads, int multiprocessors) {
  return static_cast<unsigned>(std::max<int64_t>(
      1, std::min<int64_t>((items + threads - 1) / threads, int64_t{8} * multiprocessors)));
}

// launch(T{}, Index{}) with T the C++ type of `element` and Index int32_t where `elements` leave
// room for a grid-stride loop's last step past the end (64-bit division per element costs
// several times more), else int64_t.
template <typename Launch>
cudaError_t with_element_and_index(Element element, int64_t elements, Launch&& launch) {
  const bool narrow = elements < (int64_t{1} << 30);
  switch (element) {
    case Element::float32: return narrow ? launch(float{}, int32_t{}) : launch(float{}, int64_t{});
    case Element::float16:
      return narrow ? launch(__half{}, int32_t{}) : launch(__half{}, int64_t{});
    case Element::bfloat16:
      return narrow ? launch(__nv_bfloat16{}, int32_t{}) : launch(__nv_bfloat16{}, int64_t{});
  }
  return cudaErrorInvalidValue;
}

}  // namespace glide::cuda::kernels
