#pragma once

#include <torch/types.h>

#include <cstdint>
#include <vector>

namespace glide {

// Where a sampler's Gaussian noise comes from, so that runs can be seeded or replayed.
class NoiseSource {
 public:
  virtual ~NoiseSource() = default;
  // Standard normal noise of this shape, with these options (dtype, device).
  virtual torch::Tensor next(at::IntArrayRef shape, const at::TensorOptions& options) = 0;
};

// The normal path: a seeded generator. Draws are made on the CPU in float32 and then converted,
// so a seed gives the same noise on every device; on the CPU the values equal what
// torch.randn(shape) gives after torch.manual_seed(seed).
class GeneratorNoise : public NoiseSource {
 public:
  explicit GeneratorNoise(uint64_t seed);
  torch::Tensor next(at::IntArrayRef shape, const at::TensorOptions& options) override;

 private:
  at::Generator generator_;
};

// Replays given tensors in order, for parity tests against recorded reference runs. A draw whose
// shape differs from the request, or a request after the last draw, is a glide::Error.
class RecordedNoise : public NoiseSource {
 public:
  explicit RecordedNoise(std::vector<torch::Tensor> draws);
  // Draws stacked along dim 0: stacked[0], stacked[1], ...
  static RecordedNoise from_stacked(const torch::Tensor& stacked);

  torch::Tensor next(at::IntArrayRef shape, const at::TensorOptions& options) override;
  size_t used() const { return next_; }
  size_t size() const { return draws_.size(); }

 private:
  std::vector<torch::Tensor> draws_;
  size_t next_ = 0;
};

}  // namespace glide
