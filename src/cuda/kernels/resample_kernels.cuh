#pragma once

// Launcher of the resampling kernels (resample_kernels.cu). Plain C++ types only, so that
// resample.cpp, compiled by the C++ compiler against LibTorch, can call it.
#include "cuda/kernels/element.cuh"

namespace glide::cuda::kernels {

enum class Resampling {
  nearest_up2,    // out (n, 2h, 2w, c): each pixel repeated over a 2x2 square
  average_down2,  // out (n, h/2, w/2, c): the mean of each 2x2 square (h and w even)
};

// One of a ResBlock's resamplings on a channels-last (NHWC) tensor of shape (n, c, h, w):
// LibTorch's upsample_nearest2d (scale 2) or avg_pool2d (kernel 2, stride 2), with the same
// arithmetic: the mean sums the four pixels in float32, row by row, then divides by 4.
struct ResampleArgs {
  Element element;
  Resampling mode;
  const void* in;
  void* out;            // channels-last, of in's dtype
  int64_t n, c, h, w;   // in's shape
  int multiprocessors;  // the device's, to size the launch
};

// Whether the kernel moves 16-byte packs (c a multiple of the pack, both tensors aligned), else
// one element at a time.
bool resample_packed(const ResampleArgs& args);

cudaError_t launch_resample(const ResampleArgs& args, cudaStream_t stream);

}  // namespace glide::cuda::kernels
