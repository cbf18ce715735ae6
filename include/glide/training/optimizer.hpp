#pragma once

#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace glide::training {

// A named trainable tensor: the names are the module's parameter names, used in checkpoints.
struct NamedTensor {
  std::string name;
  torch::Tensor tensor;
};

// AdamW (Loshchilov & Hutter 2019, Algorithm 2): Adam with bias correction and weight decay
// decoupled from the gradient. Its state is plain named tensors so checkpoints can hold it.
class AdamW {
 public:
  struct Options {
    double beta1 = 0.9;
    double beta2 = 0.999;
    double eps = 1e-8;
    double weight_decay = 0.0;
  };
  AdamW(std::vector<NamedTensor> params, Options options);
  // One update of every parameter that has a gradient, at learning rate `lr`.
  void step(double lr);
  void zero_grad();
  int64_t steps_taken() const { return steps_; }
  void set_steps_taken(int64_t steps) { steps_ = steps; }
  const std::vector<NamedTensor>& params() const { return params_; }
  std::vector<NamedTensor>& first_moments() { return m_; }
  std::vector<NamedTensor>& second_moments() { return v_; }

 private:
  std::vector<NamedTensor> params_, m_, v_;
  Options options_;
  int64_t steps_ = 0;
};

// An exponential moving average of parameters (Polyak averaging), sampled from instead of the
// raw weights. The decay ramps up as min(decay, (1 + n) / (10 + n)) over the first updates so a
// short run's average is not dominated by the initial weights.
class Ema {
 public:
  Ema(const std::vector<NamedTensor>& params, double decay);
  void update(const std::vector<NamedTensor>& params, int64_t update_index);
  std::vector<NamedTensor>& averages() { return averages_; }
  const std::vector<NamedTensor>& averages() const { return averages_; }

 private:
  std::vector<NamedTensor> averages_;
  double decay_;
};

}  // namespace glide::training
