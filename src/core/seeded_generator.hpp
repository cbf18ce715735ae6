#pragma once

#include <ATen/core/Generator.h>

#include <cstdint>

namespace glide {

// A CPU generator that depends on all 64 bits of `seed`. LibTorch seeds its Mersenne Twister
// with the low 32 bits only, so seed and seed + 2^32 drew the same images. Seeds below 2^32
// keep LibTorch's seeding (the draws of torch.manual_seed(seed), as the reference makes them);
// larger ones seed the twister from both halves with Matsumoto and Nishimura's init_by_array.
at::Generator seeded_cpu_generator(uint64_t seed);

}  // namespace glide
