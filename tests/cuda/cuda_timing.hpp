#pragma once

// Timing on the GPU for glide-cuda-check: CUDA events around each call, the median kept.
#include <ATen/cuda/CUDAEvent.h>
#include <c10/cuda/CUDAFunctions.h>

#include <algorithm>
#include <vector>

namespace glide::test {

template <typename F>
inline double median_ms(F&& f, int repeats = 20) {
  f();
  c10::cuda::device_synchronize();
  std::vector<double> times;
  for (int i = 0; i < repeats; ++i) {
    at::cuda::CUDAEvent start(cudaEventDefault), stop(cudaEventDefault);
    start.record();
    f();
    stop.record();
    stop.synchronize();
    times.push_back(start.elapsed_time(stop));
  }
  std::nth_element(times.begin(), times.begin() + repeats / 2, times.end());
  return times[repeats / 2];
}

}  // namespace glide::test
