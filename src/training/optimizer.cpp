#include "glide/training/optimizer.hpp"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>

namespace glide::training {

namespace {

std::vector<NamedTensor> zeros_like_all(const std::vector<NamedTensor>& params) {
  std::vector<NamedTensor> out;
  out.reserve(params.size());
  for (const auto& p : params) out.push_back({p.name, torch::zeros_like(p.tensor)});
  return out;
}

}  // namespace

AdamW::AdamW(std::vector<NamedTensor> params, Options options)
    : params_(std::move(params)),
      m_(zeros_like_all(params_)),
      v_(zeros_like_all(params_)),
      options_(options) {}

void AdamW::zero_grad() {
  for (auto& p : params_) {
    if (p.tensor.grad().defined()) p.tensor.mutable_grad().zero_();
  }
}

void AdamW::step(double lr) {
  torch::NoGradGuard no_grad;
  ++steps_;
  const double step = static_cast<double>(steps_);
  const double correction1 = 1.0 - std::pow(options_.beta1, step);
  const double correction2 = 1.0 - std::pow(options_.beta2, step);
  for (size_t i = 0; i < params_.size(); ++i) {
    torch::Tensor& p = params_[i].tensor;
    if (!p.grad().defined()) continue;
    const torch::Tensor& g = p.grad();
    m_[i].tensor.mul_(options_.beta1).add_(g, 1.0 - options_.beta1);
    v_[i].tensor.mul_(options_.beta2).addcmul_(g, g, 1.0 - options_.beta2);
    if (options_.weight_decay > 0.0) p.mul_(1.0 - lr * options_.weight_decay);
    const torch::Tensor denom = (v_[i].tensor / correction2).sqrt_().add_(options_.eps);
    p.addcdiv_(m_[i].tensor, denom, -lr / correction1);
  }
}

Ema::Ema(const std::vector<NamedTensor>& params, double decay) : decay_(decay) {
  torch::NoGradGuard no_grad;
  for (const auto& p : params) averages_.push_back({p.name, p.tensor.detach().clone()});
}

void Ema::update(const std::vector<NamedTensor>& params, int64_t update_index) {
  torch::NoGradGuard no_grad;
  const double n = static_cast<double>(update_index);
  const double decay = std::min(decay_, (1.0 + n) / (10.0 + n));
  for (size_t i = 0; i < params.size(); ++i) {
    averages_[i].tensor.mul_(decay).add_(params[i].tensor, 1.0 - decay);
  }
}

}  // namespace glide::training
