#include "glide/pipeline/per_image_noise.hpp"

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/host_to_device.hpp"
#include "core/seeded_generator.hpp"
#include "glide/error.hpp"

namespace glide {

PerImageNoise::PerImageNoise(const std::vector<uint64_t>& seeds) {
  if (seeds.empty()) throw Error(Status::invalid_argument, "PerImageNoise needs at least one seed");
  generators_.reserve(seeds.size());
  for (uint64_t seed : seeds) generators_.push_back(seeded_cpu_generator(seed));
}

PerImageNoise PerImageNoise::consecutive(uint64_t first_seed, int64_t count) {
  std::vector<uint64_t> seeds;
  for (int64_t k = 0; k < count; ++k) seeds.push_back(first_seed + static_cast<uint64_t>(k));
  return PerImageNoise(seeds);
}

torch::Tensor PerImageNoise::next(at::IntArrayRef shape, const at::TensorOptions& options) {
  if (shape.empty() || shape[0] != rows()) {
    throw Error(Status::invalid_argument,
                fmt::format("per-image noise holds {} generators; a draw of shape [{}] was "
                            "requested (dim 0 must equal the number of generators)",
                            rows(), fmt::join(shape, ", ")));
  }
  // Row k is what at::randn (empty + normal_) of the row's shape gives with generator k, drawn in
  // place into memory the device can copy from without synchronizing.
  at::Tensor draws = at::empty(shape, host_staging_options(options.device(), at::kFloat));
  for (int64_t k = 0; k < rows(); ++k) draws[k].normal_(0.0, 1.0, generators_[k]);
  return to_options_without_sync(draws, options);
}

}  // namespace glide
