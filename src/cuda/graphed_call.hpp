#pragma once

// CUDA graph capture of a network call; built only when LibTorch has CUDA (src/CMakeLists.txt).
#include "glide/models/network_call.hpp"

namespace glide::cuda {

// Wraps `eager`: calls with CPU tensors run it directly; on CUDA the first call for each shape
// and dtype of x and t warms it up on a side stream, captures it into a graph, and every call
// replays that graph on static copies of x and t. Returns a fresh tensor each call.
NetworkFn graphed(NetworkFn eager);

}  // namespace glide::cuda
