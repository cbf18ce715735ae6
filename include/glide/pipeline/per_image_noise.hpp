#pragma once

#include <ATen/core/Generator.h>
#include <torch/types.h>

#include <cstdint>
#include <vector>

#include "glide/samplers/noise.hpp"

namespace glide {

// Noise whose batch row k comes from its own CPU generator seeded with seeds[k], so that an image
// gets the same noise whatever batch it is generated in. Each row is drawn as a tensor of the
// row's shape, in float32 on the CPU, then converted: for one row this equals GeneratorNoise with
// the same seed. A request whose dim 0 differs from the number of seeds is a glide::Error.
class PerImageNoise : public NoiseSource {
 public:
  explicit PerImageNoise(const std::vector<uint64_t>& seeds);
  // seeds first_seed, first_seed + 1, ..., for `count` rows.
  static PerImageNoise consecutive(uint64_t first_seed, int64_t count);

  torch::Tensor next(at::IntArrayRef shape, const at::TensorOptions& options) override;
  int64_t rows() const { return static_cast<int64_t>(generators_.size()); }

 private:
  std::vector<at::Generator> generators_;
};

}  // namespace glide
