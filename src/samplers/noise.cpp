#include "glide/samplers/noise.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/host_to_device.hpp"
#include "core/seeded_generator.hpp"
#include "glide/error.hpp"

namespace glide {

GeneratorNoise::GeneratorNoise(uint64_t seed) : generator_(seeded_cpu_generator(seed)) {}

torch::Tensor GeneratorNoise::next(at::IntArrayRef shape, const at::TensorOptions& options) {
  // at::randn is empty + normal_: drawn straight into memory the device can copy from unsynced.
  at::Tensor draw = at::empty(shape, host_staging_options(options.device(), at::kFloat));
  draw.normal_(0.0, 1.0, generator_);
  return to_options_without_sync(draw, options);
}

RecordedNoise::RecordedNoise(std::vector<torch::Tensor> draws) : draws_(std::move(draws)) {
  for (size_t i = 0; i < draws_.size(); ++i) {
    if (!draws_[i].defined() || !at::isFloatingType(draws_[i].scalar_type())) {
      throw Error(Status::invalid_argument,
                  fmt::format("recorded noise draw {} is not a floating-point tensor", i));
    }
  }
}

RecordedNoise RecordedNoise::from_stacked(const torch::Tensor& stacked) {
  if (!stacked.defined() || stacked.dim() < 1) {
    throw Error(Status::invalid_argument,
                "recorded noise must be a tensor whose first dimension indexes the draws");
  }
  std::vector<torch::Tensor> draws;
  for (int64_t i = 0; i < stacked.size(0); ++i) draws.push_back(stacked[i]);
  return RecordedNoise(std::move(draws));
}

torch::Tensor RecordedNoise::next(at::IntArrayRef shape, const at::TensorOptions& options) {
  if (next_ >= draws_.size()) {
    throw Error(Status::invalid_argument,
                fmt::format("recorded noise has {} draws; draw {} was requested", draws_.size(),
                            next_ + 1));
  }
  const torch::Tensor& draw = draws_[next_];
  if (draw.sizes() != shape) {
    throw Error(Status::invalid_argument,
                fmt::format("recorded noise draw {} has shape [{}]; the sampler asked for [{}]",
                            next_, fmt::join(draw.sizes(), ", "), fmt::join(shape, ", ")));
  }
  ++next_;
  return to_options_without_sync(draw, options);
}

}  // namespace glide
