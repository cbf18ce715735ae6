#pragma once

// A network binding kept from one denoising loop to the next, so that what the binding built
// (on CUDA, a captured graph with its activation memory) serves the next loop too.
#include <torch/types.h>

#include <memory>

#include "glide/models/network_call.hpp"

namespace glide {

// Holds at most one binding (bind_network) of a model. bind() reuses the kept binding when the
// model's weights are the same tensors as before (same addresses, dtypes and shapes: a captured
// graph reads them by address) and every text and conditioning tensor has the kept one's shape,
// dtype and device: it copies the new values into the tensors the kept binding reads and returns
// it, so a CUDA graph is replayed instead of being warmed up and captured again. Otherwise it
// drops the kept binding and binds afresh. The first bind copies its inputs, so later binds never
// write into tensors the caller gave.
//
// A function returned earlier reads the inputs of the latest bind(): finish one loop before
// binding the next. Copies start empty. Not thread-safe.
class BoundNetwork {
 public:
  BoundNetwork() = default;
  BoundNetwork(const BoundNetwork&) {}
  BoundNetwork& operator=(const BoundNetwork& other);
  BoundNetwork(BoundNetwork&&) noexcept = default;
  BoundNetwork& operator=(BoundNetwork&&) noexcept = default;

  NetworkFn bind(const Text2ImUNet& model, const TextEmbedding& text, const Conditioning& cond);

  // Drops the kept binding (on CUDA: its graphs and the memory they hold).
  void reset();

  // Whether the last bind() reused the kept binding.
  bool reused_last() const { return reused_last_; }

 private:
  struct Kept;
  std::shared_ptr<Kept> kept_;
  bool reused_last_ = false;
};

}  // namespace glide
