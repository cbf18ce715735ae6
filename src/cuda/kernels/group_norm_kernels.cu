// Fused group norm (+ scale/shift + SiLU) for the UNet's float16/bfloat16 activations.
//
// GLIDE normalizes in float32 whatever the activations' dtype (the reference's GroupNorm32), and
// the composition of LibTorch ops that does so reads and writes each activation about six times
// (to float32, the norm's two passes, back to half, scale and shift, SiLU). These kernels read
// it twice and write it once: partial sums per group, then per-channel coefficients, then one
// elementwise pass y = act(x * a[n, c] + b[n, c]).
//
// The variance comes from sums shifted by the group's first element (the "shifted data"
// algorithm): the cancellation of E[x^2] - E[x]^2 is the shift's distance from the mean, not the
// mean itself.
#include <algorithm>
#include <cstdint>

#include "cuda/kernels/device_elements.cuh"  // before the launchers' headers: CUDA's types
#include "cuda/kernels/group_norm_kernels.cuh"

namespace glide::cuda::kernels {
namespace {

// Threads per block. The CPU emulation (tests/cuda) builds these kernels with smaller blocks, as
// its cost grows with them; the code holds for any multiple of 32 up to 1024.
#ifndef GLIDE_GROUP_NORM_THREADS
#define GLIDE_GROUP_NORM_THREADS 256
#endif
constexpr int kThreads = GLIDE_GROUP_NORM_THREADS;
constexpr int kMaxSplits = 64;
constexpr int kOneBlockMaxChannels = 64;        // channels per group one_block_kernel holds
constexpr int64_t kOneBlockMaxLength = 32768;   // elements per group it takes
constexpr int64_t kOneBlockMaxTotal = 1 << 22;  // elements in all: beyond, packs pay more
constexpr int kPixelMajorMaxChannels = 2048;    // channels pixel_major_sums_kernel sums
// Its blocks are per sample, not per group: at batch 1 it needs more splits to fill the GPU.
constexpr int kPixelMajorMaxSplits = 256;

// Where channel `channel` of pixel `pixel` of sample `sample` lies.
template <typename Index>
__device__ __forceinline__ Index element_at(Index sample, Index channel, Index pixel, Index c,
                                            Index hw, bool channels_last) {
  return channels_last ? (sample * hw + pixel) * c + channel : (sample * c + channel) * hw + pixel;
}

// Sums over the block's threads of two values; thread 0 gets the totals.
__device__ __forceinline__ void block_sum(float& a, float& b) {
  __shared__ float shared[2][kThreads / 32];
  for (int offset = 16; offset > 0; offset /= 2) {
    a += __shfl_down_sync(0xffffffffu, a, offset);
    b += __shfl_down_sync(0xffffffffu, b, offset);
  }
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  if (lane == 0) {
    shared[0][warp] = a;
    shared[1][warp] = b;
  }
  __syncthreads();
  if (warp == 0) {
    a = lane < kThreads / 32 ? shared[0][lane] : 0.0f;
    b = lane < kThreads / 32 ? shared[1][lane] : 0.0f;
    for (int offset = 16; offset > 0; offset /= 2) {
      a += __shfl_down_sync(0xffffffffu, a, offset);
      b += __shfl_down_sync(0xffffffffu, b, offset);
    }
  }
}

// x's element plus the input bias of its channel, if any.
template <typename T>
__device__ __forceinline__ float biased(float v, const T* __restrict__ input_bias,
                                        int64_t channel) {
  return input_bias != nullptr ? v + to_float(input_bias[channel]) : v;
}

// The group's first element (plus its input bias): the pivot its sums are shifted by.
template <typename T, typename Index>
__device__ __forceinline__ float group_pivot(const T* __restrict__ x,
                                             const T* __restrict__ input_bias, Index sample,
                                             Index first_channel, Index c, Index hw,
                                             bool channels_last) {
  return biased(to_float(x[element_at<Index>(sample, first_channel, 0, c, hw, channels_last)]),
                input_bias, first_channel);
}

// This thread's share (elements begin + threadIdx.x, then every kThreads-th before end) of the
// sums of x - pivot and (x - pivot)^2 over group g of `sample` (x + input_bias where that is
// given); element e of the group is channel e / hw, pixel e % hw in NCHW and channel e % cg, pixel
// e / cg in channels-last.
template <typename T, typename Index>
__device__ __forceinline__ void group_sums(const T* __restrict__ x,
                                           const T* __restrict__ input_bias, Index sample,
                                           Index first_channel, Index cg, Index c, Index hw,
                                           bool channels_last, Index begin, Index end, float pivot,
                                           float& s1, float& s2) {
  if (channels_last) {
    // The group's channels are contiguous per pixel.
    for (Index e = begin + threadIdx.x; e < end; e += kThreads) {
      const Index channel = first_channel + e % cg;
      const float v = biased(to_float(x[element_at<Index>(sample, channel, e / cg, c, hw, true)]),
                             input_bias, channel) -
                      pivot;
      s1 += v;
      s2 += v * v;
    }
  } else {
    // The group is one contiguous run of cg * hw elements.
    const T* group = x + element_at<Index>(sample, first_channel, 0, c, hw, false);
    for (Index e = begin + threadIdx.x; e < end; e += kThreads) {
      const float v =
          (input_bias != nullptr ? biased(to_float(group[e]), input_bias, first_channel + e / hw)
                                 : to_float(group[e])) -
          pivot;
      s1 += v;
      s2 += v * v;
    }
  }
}

// Block (group ng = sample * groups + g, split s) sums its share of the group (group_sums).
template <typename T, typename Index>
__global__ void __launch_bounds__(kThreads)
    partial_sums_kernel(const T* __restrict__ x, const T* __restrict__ input_bias, Index c,
                        Index hw, Index groups, bool channels_last, float* __restrict__ partials) {
  const Index ng = blockIdx.x, sample = ng / groups, g = ng % groups;
  const Index cg = c / groups, first_channel = g * cg;
  const float pivot = group_pivot(x, input_bias, sample, first_channel, c, hw, channels_last);
  const Index length = cg * hw;
  const Index chunk = (length + gridDim.y - 1) / gridDim.y;
  const Index begin = blockIdx.y * chunk;
  const Index end = min(length, begin + chunk);
  float s1 = 0.0f, s2 = 0.0f;
  group_sums(x, input_bias, sample, first_channel, cg, c, hw, channels_last, begin, end, pivot, s1,
             s2);
  block_sum(s1, s2);
  if (threadIdx.x == 0) {
    float* out = partials + 2 * (static_cast<int64_t>(ng) * gridDim.y + blockIdx.y);
    out[0] = s1;
    out[1] = s2;
  }
}

// Channels-last partial sums a pixel at a time over all of a sample's groups (block: sample, split
// of its pixels). partial_sums_kernel reads one group's few channels per pixel, a third of each
// 32-byte sector it fetches when a group has 6 float16 channels; here each thread reads one
// 16-byte pack of channels per pixel, a warp whole pixels, keeps per-channel sums (shifted by
// each channel's group pivot) in registers, adds them into shared memory, and the block then
// sums each group's channels. Needs c a multiple of the pack, at most kPixelMajorMaxChannels
// and kThreads packs, and x 16-byte aligned (group_norm_pixel_major()).
template <typename T, typename Index>
__global__ void __launch_bounds__(kThreads)
    pixel_major_sums_kernel(const T* __restrict__ x, const T* __restrict__ input_bias, Index c,
                            Index hw, Index groups, float* __restrict__ partials) {
  constexpr int n = Pack<T>::size;
  __shared__ float sums[2][kPixelMajorMaxChannels];
  const Index sample = blockIdx.x, cg = c / groups;
  const Index packs_per_pixel = c / n, lanes = kThreads / packs_per_pixel;
  for (Index k = threadIdx.x; k < c; k += kThreads) {
    sums[0][k] = 0.0f;
    sums[1][k] = 0.0f;
  }
  __syncthreads();
  const Index pack = threadIdx.x % packs_per_pixel, lane = threadIdx.x / packs_per_pixel;
  const Index chunk = (hw + gridDim.y - 1) / gridDim.y;
  const Index begin = blockIdx.y * chunk;
  const Index end = min(hw, begin + chunk);
  if (lane < lanes) {
    const Index first = pack * n;
    float pivot[n], bias[n], s1[n], s2[n];
    for (int k = 0; k < n; ++k) {
      const Index channel = first + k;
      pivot[k] = group_pivot(x, input_bias, sample, (channel / cg) * cg, c, hw, true);
      bias[k] = biased(0.0f, input_bias, channel);
      s1[k] = 0.0f;
      s2[k] = 0.0f;
    }
    const auto* pixels =
        reinterpret_cast<const Pack<T>*>(x + static_cast<int64_t>(sample) * hw * c);
    for (Index p = begin + lane; p < end; p += lanes) {
      const Pack<T> values = pixels[p * packs_per_pixel + pack];
      for (int k = 0; k < n; ++k) {
        const float v = to_float(values.v[k]) + bias[k] - pivot[k];
        s1[k] += v;
        s2[k] += v * v;
      }
    }
    for (int k = 0; k < n; ++k) {
      atomicAdd(&sums[0][first + k], s1[k]);
      atomicAdd(&sums[1][first + k], s2[k]);
    }
  }
  __syncthreads();
  for (Index g = threadIdx.x; g < groups; g += kThreads) {
    float t1 = 0.0f, t2 = 0.0f;
    for (Index k = g * cg; k < (g + 1) * cg; ++k) {
      t1 += sums[0][k];
      t2 += sums[1][k];
    }
    float* out =
        partials + 2 * ((static_cast<int64_t>(sample) * groups + g) * gridDim.y + blockIdx.y);
    out[0] = t1;
    out[1] = t2;
  }
}

// y = x * a + b for one channel of one sample: the group's statistics from its shifted sums s1
// and s2 over `count` elements, folded with gamma, beta, the optional input bias and the
// optional scale and shift.
template <typename T>
__device__ __forceinline__ float2
channel_coefficients(float s1, float s2, float count, float pivot, const float* __restrict__ gamma,
                     const float* __restrict__ beta, const T* __restrict__ scale,
                     const T* __restrict__ shift, int64_t scale_row_stride,
                     const T* __restrict__ input_bias, int64_t sample, int64_t channel, float eps) {
  const float shifted_mean = s1 / count;
  const float variance = fmaxf(s2 / count - shifted_mean * shifted_mean, 0.0f);
  const float mean = pivot + shifted_mean;
  float a = gamma[channel] / sqrtf(variance + eps);
  // (x + bias - mean) * a + beta: the bias joins the constant term.
  float b = beta[channel] + (biased(0.0f, input_bias, channel) - mean) * a;
  if (scale != nullptr) {
    const float factor = 1.0f + to_float(scale[sample * scale_row_stride + channel]);
    a *= factor;
    b = b * factor + to_float(shift[sample * scale_row_stride + channel]);
  }
  return make_float2(a, b);
}

// One thread per (sample, channel): its coefficients from the group's partial sums.
template <typename T>
__global__ void coefficients_kernel(const T* __restrict__ x, const float* __restrict__ gamma,
                                    const float* __restrict__ beta, const T* __restrict__ scale,
                                    const T* __restrict__ shift, int64_t scale_row_stride,
                                    const T* __restrict__ input_bias,
                                    const float* __restrict__ partials, int64_t n, int64_t c,
                                    int64_t hw, int64_t groups, int splits, float eps,
                                    bool channels_last, float2* __restrict__ coefficients) {
  const int64_t index = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (index >= n * c) return;
  const int64_t sample = index / c, channel = index % c;
  const int64_t cg = c / groups, g = channel / cg;
  const float* sums = partials + 2 * (sample * groups + g) * splits;
  float s1 = 0.0f, s2 = 0.0f;
  for (int s = 0; s < splits; ++s) {
    s1 += sums[2 * s];
    s2 += sums[2 * s + 1];
  }
  const float pivot = group_pivot<T, int64_t>(x, input_bias, sample, g * cg, c, hw, channels_last);
  coefficients[index] =
      channel_coefficients(s1, s2, static_cast<float>(cg * hw), pivot, gamma, beta, scale, shift,
                           scale_row_stride, input_bias, sample, channel, eps);
}

__device__ __forceinline__ float normalized(float x, float2 ab, bool silu) {
  const float v = x * ab.x + ab.y;
  return silu ? v / (1.0f + expf(-v)) : v;
}

template <typename T, typename Index>
__global__ void __launch_bounds__(kThreads)
    apply_kernel(const T* __restrict__ x, T* __restrict__ y,
                 const float2* __restrict__ coefficients, Index total, Index c, Index hw,
                 bool channels_last, bool silu) {
  const Index stride = static_cast<Index>(gridDim.x) * kThreads;
  for (Index i = static_cast<Index>(blockIdx.x) * kThreads + threadIdx.x; i < total; i += stride) {
    const Index nc = channels_last ? (i / (hw * c)) * c + i % c : i / hw;
    y[i] = from_float<T>(normalized(to_float(x[i]), coefficients[nc], silu));
  }
}

// apply_kernel a Pack at a time. With one element per load the pass ran at about a tenth of the
// bandwidth, by its traffic (H200, 2026-11-27: 19.7 ms of the upsampler's 89.6 ms step at batch
// 16). A pack is one channel's pixels in NCHW (hw a multiple of the pack), one pixel's consecutive
// channels in channels-last (c a multiple of it); x and y 16-byte aligned.
template <typename T, typename Index>
__global__ void __launch_bounds__(kThreads)
    apply_packed_kernel(const T* __restrict__ x, T* __restrict__ y,
                        const float2* __restrict__ coefficients, Index packs, Index c, Index hw,
                        bool channels_last, bool silu) {
  constexpr int n = Pack<T>::size;
  const auto* in = reinterpret_cast<const Pack<T>*>(x);
  auto* out = reinterpret_cast<Pack<T>*>(y);
  const Index stride = static_cast<Index>(gridDim.x) * kThreads;
  for (Index p = static_cast<Index>(blockIdx.x) * kThreads + threadIdx.x; p < packs; p += stride) {
    const Index i = p * n;
    const Pack<T> values = in[p];
    Pack<T> result;
    if (channels_last) {
      const float2* ab = coefficients + (i / (hw * c)) * c + i % c;
      for (int k = 0; k < n; ++k) {
        result.v[k] = from_float<T>(normalized(to_float(values.v[k]), ab[k], silu));
      }
    } else {
      const float2 ab = coefficients[i / hw];
      for (int k = 0; k < n; ++k) {
        result.v[k] = from_float<T>(normalized(to_float(values.v[k]), ab, silu));
      }
    }
    out[p] = result;
  }
}

// The whole norm of one group in one block (group ng = sample * groups + g): its sums, its
// statistics, each of its channels' coefficients in shared memory, then its elements. For the
// small groups of batch 1 the three-kernel path's extra launches and round trips through global
// memory cost more than the work (H200, 2026-11-27: 1.0 ms for the 95 norms of a 4.8 ms base
// step at batch 1).
template <typename T, typename Index>
__global__ void __launch_bounds__(kThreads)
    one_block_kernel(const T* __restrict__ x, T* __restrict__ y, const float* __restrict__ gamma,
                     const float* __restrict__ beta, const T* __restrict__ scale,
                     const T* __restrict__ shift, int64_t scale_row_stride,
                     const T* __restrict__ input_bias, Index c, Index hw, Index groups, float eps,
                     bool channels_last, bool silu) {
  __shared__ float totals[2];
  __shared__ float2 coefficients[kOneBlockMaxChannels];
  const Index ng = blockIdx.x, sample = ng / groups, g = ng % groups;
  const Index cg = c / groups, first_channel = g * cg, length = cg * hw;
  const float pivot = group_pivot(x, input_bias, sample, first_channel, c, hw, channels_last);
  float s1 = 0.0f, s2 = 0.0f;
  group_sums(x, input_bias, sample, first_channel, cg, c, hw, channels_last, Index{0}, length,
             pivot, s1, s2);
  block_sum(s1, s2);
  if (threadIdx.x == 0) {
    totals[0] = s1;
    totals[1] = s2;
  }
  __syncthreads();
  for (Index k = threadIdx.x; k < cg; k += kThreads) {
    coefficients[k] = channel_coefficients(totals[0], totals[1], static_cast<float>(length), pivot,
                                           gamma, beta, scale, shift, scale_row_stride, input_bias,
                                           sample, first_channel + k, eps);
  }
  __syncthreads();
  for (Index e = threadIdx.x; e < length; e += kThreads) {
    const Index k = channels_last ? e % cg : e / hw;
    const Index i = channels_last
                        ? element_at<Index>(sample, first_channel + k, e / cg, c, hw, true)
                        : element_at<Index>(sample, first_channel + k, e % hw, c, hw, false);
    y[i] = from_float<T>(normalized(to_float(x[i]), coefficients[k], silu));
  }
}

template <typename T>
bool packable(const GroupNormArgs& a) {
  constexpr int n = Pack<T>::size;
  return (a.channels_last ? a.c % n == 0 : a.hw % n == 0) && pack_aligned(a.x) && pack_aligned(a.y);
}

template <typename T, typename Index>
cudaError_t launch_typed(const GroupNormArgs& a, cudaStream_t stream) {
  const T* x = static_cast<const T*>(a.x);
  if (a.one_block) {
    if (a.c / a.groups > kOneBlockMaxChannels) return cudaErrorInvalidValue;  // shared array
    const auto whole = one_block_kernel<T, Index>;
    GLIDE_LAUNCH(
        whole, static_cast<unsigned>(a.n * a.groups), kThreads, stream, x, static_cast<T*>(a.y),
        a.gamma, a.beta, static_cast<const T*>(a.scale), static_cast<const T*>(a.shift),
        a.scale_row_stride, static_cast<const T*>(a.input_bias), static_cast<Index>(a.c),
        static_cast<Index>(a.hw), static_cast<Index>(a.groups), a.eps, a.channels_last, a.silu);
    return cudaGetLastError();
  }
  const Index total = static_cast<Index>(a.n * a.c * a.hw);
  // Named first: a template's comma would split the launch macro's arguments.
  const auto fold = coefficients_kernel<T>;
  const auto apply = apply_kernel<T, Index>;
  const T* input_bias = static_cast<const T*>(a.input_bias);
  if (a.pixel_major) {
    const auto sums = pixel_major_sums_kernel<T, Index>;
    const dim3 grid(static_cast<unsigned>(a.n), static_cast<unsigned>(a.splits));
    GLIDE_LAUNCH(sums, grid, kThreads, stream, x, input_bias, static_cast<Index>(a.c),
                 static_cast<Index>(a.hw), static_cast<Index>(a.groups), a.workspace);
  } else {
    const auto sums = partial_sums_kernel<T, Index>;
    const dim3 grid(static_cast<unsigned>(a.n * a.groups), static_cast<unsigned>(a.splits));
    GLIDE_LAUNCH(sums, grid, kThreads, stream, x, input_bias, static_cast<Index>(a.c),
                 static_cast<Index>(a.hw), static_cast<Index>(a.groups), a.channels_last,
                 a.workspace);
  }
  float* partials = a.workspace;
  auto* coefficients = reinterpret_cast<float2*>(partials + 2 * a.n * a.groups * a.splits);
  const auto rows_grid = static_cast<unsigned>((a.n * a.c + kThreads - 1) / kThreads);
  GLIDE_LAUNCH(fold, rows_grid, kThreads, stream, x, a.gamma, a.beta,
               static_cast<const T*>(a.scale), static_cast<const T*>(a.shift), a.scale_row_stride,
               input_bias, partials, a.n, a.c, a.hw, a.groups, a.splits, a.eps, a.channels_last,
               coefficients);
  const auto grid_for = [&](int64_t items) {
    return grid_stride_blocks(items, kThreads, a.multiprocessors);
  };
  if (packable<T>(a)) {
    const auto apply_packed = apply_packed_kernel<T, Index>;
    const Index packs = total / Pack<T>::size;
    GLIDE_LAUNCH(apply_packed, grid_for(packs), kThreads, stream, x, static_cast<T*>(a.y),
                 coefficients, packs, static_cast<Index>(a.c), static_cast<Index>(a.hw),
                 a.channels_last, a.silu);
  } else {
    GLIDE_LAUNCH(apply, grid_for(total), kThreads, stream, x, static_cast<T*>(a.y), coefficients,
                 total, static_cast<Index>(a.c), static_cast<Index>(a.hw), a.channels_last, a.silu);
  }
  return cudaGetLastError();
}

}  // namespace

bool group_norm_one_block(const GroupNormArgs& a) {
  const int64_t cg = a.c / a.groups;
  return cg <= kOneBlockMaxChannels && cg * a.hw <= kOneBlockMaxLength &&
         a.n * a.c * a.hw <= kOneBlockMaxTotal;
}

bool group_norm_pixel_major(const GroupNormArgs& a) {
  const int64_t n = a.element == Element::float32 ? 4 : 8;  // elements in a 16-byte pack
  return a.channels_last && a.c % n == 0 && a.c <= kPixelMajorMaxChannels && a.c / n <= kThreads &&
         pack_aligned(a.x);
}

int group_norm_splits(const GroupNormArgs& a) {
  // Blocks per split: one per group, or with pixel_major one per sample.
  const int64_t split_blocks = a.pixel_major ? a.n : a.n * a.groups;
  // Elements a block's split covers at least: 8 a thread (the group's, or a sample's pixels).
  const int64_t length = a.pixel_major ? a.hw * a.c : (a.c / a.groups) * a.hw;
  // Two blocks per multiprocessor in all.
  const int64_t wanted =
      (2 * static_cast<int64_t>(a.multiprocessors) + split_blocks - 1) / split_blocks;
  const int64_t most = std::max<int64_t>(1, length / (8 * kThreads));
  return static_cast<int>(std::clamp<int64_t>(std::min(wanted, most), 1,
                                              a.pixel_major ? kPixelMajorMaxSplits : kMaxSplits));
}

int64_t group_norm_workspace_floats(const GroupNormArgs& a) {
  return 2 * a.n * a.groups * a.splits + 2 * a.n * a.c;
}

cudaError_t launch_group_norm(const GroupNormArgs& a, cudaStream_t stream) {
  return with_element_and_index(a.element, a.n * a.c * a.hw, [&](auto element, auto index) {
    return launch_typed<decltype(element), decltype(index)>(a, stream);
  });
}

}  // namespace glide::cuda::kernels
