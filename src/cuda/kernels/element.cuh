#pragma once

// What every launcher header (*_kernels.cuh) needs: CUDA's runtime types and the element types
// glide's kernels take, named without CUDA's other headers, so that the launchers' headers stay
// plain C++ that the LibTorch-side wrappers can include.
#ifndef GLIDE_CUDA_EMULATION  // tests/cuda/emulation.hpp stands in for CUDA on the CPU
#include <cuda_runtime_api.h>
#endif

#include <cstdint>

namespace glide::cuda::kernels {

enum class Element { float32, float16, bfloat16 };

}  // namespace glide::cuda::kernels
