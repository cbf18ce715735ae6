#pragma once

#include <string>

#include "glide/error.hpp"

namespace glide {

// An Error (invalid_argument) for images that came out as NaN or infinity: the sampling diverged
// (a huge temperature, or a huge guidance scale without thresholding) or the model's weights are
// not finite. Its own type so that a caller trying many settings (glide sweep) can record such a
// result and go on, while other invalid arguments still stop it.
class NonFiniteImages : public Error {
 public:
  explicit NonFiniteImages(const std::string& message) : Error(Status::invalid_argument, message) {}
};

}  // namespace glide
