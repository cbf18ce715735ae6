#pragma once

// What the fused group-norm kernels are held to, on any device: the optional input bias, GroupNorm
// (32 groups, eps 1e-5), then the optional scale/shift and SiLU, all in float64.
#include <ATen/ATen.h>

namespace glide::test {

inline at::Tensor exact_norm_act(const at::Tensor& x, const at::Tensor& gamma,
                                 const at::Tensor& beta, const at::Tensor& scale,
                                 const at::Tensor& shift, bool silu,
                                 const at::Tensor& input_bias = {}) {
  auto x64 = x.to(at::kDouble);
  if (input_bias.defined()) x64 = x64 + input_bias.to(at::kDouble).reshape({1, -1, 1, 1});
  auto h = at::group_norm(x64, 32, gamma.to(at::kDouble), beta.to(at::kDouble), 1e-5);
  if (scale.defined()) h = h * (1 + scale.to(at::kDouble)) + shift.to(at::kDouble);
  return silu ? at::silu(h) : h;
}

// t's values in t's layout, starting one element past a 16-byte boundary: a tensor the kernels'
// 16-byte packs cannot take.
inline at::Tensor misaligned_copy(const at::Tensor& t) {
  auto storage = at::empty({t.numel() + 1}, t.scalar_type());
  return storage.narrow(0, 1, t.numel()).as_strided(t.sizes(), t.strides()).copy_(t);
}

// ||out - exact|| / ||exact||
inline double relative_error(const at::Tensor& out, const at::Tensor& exact) {
  return ((out.to(at::kDouble) - exact).norm() / exact.norm()).item<double>();
}

}  // namespace glide::test
