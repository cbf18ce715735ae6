#include "core/seeded_generator.hpp"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/core/MT19937RNGEngine.h>

#include <array>

namespace glide {
namespace {

constexpr int kN = at::MERSENNE_STATE_N;  // 624 words of state

// MT19937's init_genrand: the state LibTorch also derives from a 32-bit seed.
void init_genrand(std::array<uint32_t, kN>& mt, uint32_t seed) {
  mt[0] = seed;
  for (int i = 1; i < kN; ++i) {
    mt[i] = 1812433253u * (mt[i - 1] ^ (mt[i - 1] >> 30)) + static_cast<uint32_t>(i);
  }
}

// MT19937's init_by_array (Matsumoto and Nishimura's reference mt19937ar.c, 2002): folds a key
// of several words into the state.
void init_by_array(std::array<uint32_t, kN>& mt, const uint32_t* key, int key_length) {
  init_genrand(mt, 19650218u);
  int i = 1, j = 0;
  for (int k = kN > key_length ? kN : key_length; k > 0; --k) {
    mt[i] =
        (mt[i] ^ ((mt[i - 1] ^ (mt[i - 1] >> 30)) * 1664525u)) + key[j] + static_cast<uint32_t>(j);
    if (++i >= kN) {
      mt[0] = mt[kN - 1];
      i = 1;
    }
    if (++j >= key_length) j = 0;
  }
  for (int k = kN - 1; k > 0; --k) {
    mt[i] = (mt[i] ^ ((mt[i - 1] ^ (mt[i - 1] >> 30)) * 1566083941u)) - static_cast<uint32_t>(i);
    if (++i >= kN) {
      mt[0] = mt[kN - 1];
      i = 1;
    }
  }
  mt[0] = 0x80000000u;  // the most significant bit set: the state is never all zero
}

}  // namespace

at::Generator seeded_cpu_generator(uint64_t seed) {
  at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(seed);
  if (seed >> 32 == 0) return generator;
  const uint32_t key[2] = {static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32)};
  at::mt19937 engine(seed);
  at::mt19937_data_pod data = engine.data();
  init_by_array(data.state_, key, 2);
  data.left_ = 1;  // as after LibTorch's own seeding: the first draw twists the state
  data.next_ = 0;
  engine.set_data(data);
  generator.get<at::CPUGeneratorImpl>()->set_engine(engine);
  return generator;
}

}  // namespace glide
