#pragma once

#include <torch/types.h>

#include <cstdint>
#include <string>

namespace glide::training {

// One captioned training image.
struct Example {
  torch::Tensor image;  // float32 (3, S, S) in [-1, 1]
  std::string caption;
};

// Where the trainer draws its images from. get() must be deterministic in `index`, so a resumed
// run sees exactly the images an uninterrupted one would have seen.
class Dataset {
 public:
  virtual ~Dataset() = default;
  // Number of distinct examples; -1 for a generator without end (indices are then unbounded).
  virtual int64_t size() const = 0;
  virtual int64_t image_size() const = 0;
  virtual Example get(int64_t index) const = 0;
  // Which data this is, for training checkpoints: resuming on other data is refused. "" (the
  // default) records nothing and matches anything.
  virtual std::string description() const { return ""; }
};

}  // namespace glide::training
