#pragma once

// The element types glide's kernels take, named without CUDA's headers, so that launchers'
// headers stay plain C++.
namespace glide::cuda::kernels {

enum class Element { float32, float16, bfloat16 };

}  // namespace glide::cuda::kernels
