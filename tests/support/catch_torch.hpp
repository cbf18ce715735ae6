#pragma once

// Catch2 for tests that use LibTorch. LibTorch built with glog (as Debian's is) defines its own
// CHECK macro, which would silently replace Catch2's CHECK with an aborting assertion; including
// LibTorch first and dropping glog's CHECK before Catch2 defines its own avoids that.
#include <torch/types.h>
#undef CHECK
#include <catch2/catch.hpp>

namespace glide::test {

// The largest elementwise |a - b|, in double; the shapes must match.
inline double max_abs_diff(const torch::Tensor& a, const torch::Tensor& b) {
  REQUIRE(a.sizes() == b.sizes());
  return (a.to(torch::kDouble) - b.to(torch::kDouble)).abs().max().item<double>();
}

}  // namespace glide::test
