#pragma once

// For the LibTorch-side wrappers of glide's kernels: a failed launch as a glide::Error.
#include <cuda_runtime_api.h>
#include <fmt/format.h>

#include "glide/error.hpp"

namespace glide::cuda {

inline void check_launch(cudaError_t status, const char* kernel) {
  if (status != cudaSuccess) {
    throw Error(Status::internal,
                fmt::format("{}: kernel launch failed: {}", kernel, cudaGetErrorString(status)));
  }
}

}  // namespace glide::cuda
