#pragma once

// The kernels' element type of a tensor's dtype, for the argument builders (*_args.hpp).
#include <ATen/ATen.h>

#include "cuda/kernels/element.cuh"

namespace glide::cuda::kernels {

// float16 and bfloat16 as themselves; anything else (the callers check for float32) as float32.
inline Element element_of(at::ScalarType type) {
  return type == at::kHalf       ? Element::float16
         : type == at::kBFloat16 ? Element::bfloat16
                                 : Element::float32;
}

}  // namespace glide::cuda::kernels
