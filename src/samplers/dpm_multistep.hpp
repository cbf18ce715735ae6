#pragma once

// What DPM-Solver++(2M) and its SDE variant share (Lu et al. 2022, "DPM-Solver++", Alg. 2).
#include <ATen/ATen.h>

#include <cmath>
#include <cstdint>

namespace glide::detail {

// λ = log(α/σ) of a VP process with ᾱ = alpha_bar.
inline double log_snr(double alpha_bar) {
  return 0.5 * (std::log(alpha_bar) - std::log1p(-alpha_bar));
}

// The second-order multistep estimate of x_0 from the current and the previous prediction:
// D = (1 + 1/2r)·x0_i − 1/2r·x0_{i−1}, r = h_{i−1}/h_i. The step onto the least noisy timestep
// (index 1) stays first order ("lower order final"): λ rises steeply there and extrapolating x_0
// over that long step overshoots; on Gaussian toy data this cut the error at 10-20 steps by 5-25x
// (tests/test_samplers.cpp).
class MultistepX0 {
 public:
  at::Tensor next(const at::Tensor& x0, double h, int64_t index) {
    at::Tensor d = x0;
    if (previous_x0_.defined() && index != 1) {
      const double r = previous_h_ / h;
      d = x0 + (x0 - previous_x0_) * (1.0 / (2.0 * r));
    }
    previous_x0_ = x0;
    previous_h_ = h;
    return d;
  }

 private:
  at::Tensor previous_x0_;
  double previous_h_ = 0.0;
};

}  // namespace glide::detail
