// The attention block's two memory layouts (src/models/attention.hpp) against each other. The
// reference layout is the one the golden parity cases check against the reference
// implementation; ctest's parity_token_major runs those cases through the token-major one.
#include <ATen/ATen.h>
#include <torch/version.h>

#include <cmath>
#include <cstdlib>
#include <string>

#include "glide/error.hpp"
#include "glide/runtime.hpp"
#include "models/attention.hpp"
#include "support/catch_torch.hpp"
#include "support/require_error.hpp"

namespace {

using glide::models::AttentionWeights;

constexpr int64_t kBatch = 2, kChannels = 64, kHeads = 2, kSide = 3, kTextWidth = 24, kTokens = 5;

AttentionWeights random_weights(at::ScalarType dtype) {
  const auto options = at::TensorOptions().dtype(dtype);
  const auto weight = [&](int64_t out, int64_t in) {
    return at::randn({out, in, 1}, options) / std::sqrt(static_cast<double>(in));
  };
  return {weight(3 * kChannels, kChannels),
          at::randn({3 * kChannels}, options),
          weight(2 * kChannels, kTextWidth),
          at::randn({2 * kChannels}, options),
          weight(kChannels, kChannels),
          at::randn({kChannels}, options),
          kHeads};
}

struct Inputs {
  at::Tensor x, normed, encoder_out;
};

Inputs random_inputs(at::ScalarType dtype) {
  const auto options = at::TensorOptions().dtype(dtype);
  return {at::randn({kBatch, kChannels, kSide, kSide}, options),
          at::randn({kBatch, kChannels, kSide, kSide}, options),
          at::randn({kBatch, kTextWidth, kTokens}, options)};
}

// With layouts: channels-last activations (the CUDA default) and token-major text (as the text
// encoder returns it) are views in the token-major path, the others copies.
Inputs with_layouts(const Inputs& in, bool channels_last, bool tokens_major) {
  const auto format = channels_last ? at::MemoryFormat::ChannelsLast : at::MemoryFormat::Contiguous;
  return {in.x.contiguous(format), in.normed.contiguous(format),
          tokens_major ? in.encoder_out.transpose(1, 2).contiguous().transpose(1, 2)
                       : in.encoder_out.contiguous()};
}

}  // namespace

TEST_CASE("token-major attention computes what the reference layout does", "[models][attention]") {
  at::manual_seed(11);
  const auto weights = random_weights(at::kDouble);
  const auto inputs = random_inputs(at::kDouble);
  const auto expected =
      glide::models::attention_channels_first(inputs.x, inputs.normed, inputs.encoder_out, weights);
  // The block does something: attention + projection moved x.
  CHECK((expected - inputs.x).abs().max().item<double>() > 0.1);
  for (const bool channels_last : {false, true}) {
    for (const bool tokens_major : {false, true}) {
      INFO("channels-last " << channels_last << ", token-major text " << tokens_major);
      const auto in = with_layouts(inputs, channels_last, tokens_major);
      const auto got =
          glide::models::attention_token_major(in.x, in.normed, in.encoder_out, weights, false);
      REQUIRE(got.sizes() == expected.sizes());
      CHECK((got - expected).abs().max().item<double>() < 1e-12);
      // The reference layout itself is indifferent to the layouts it is given.
      const auto reference =
          glide::models::attention_channels_first(in.x, in.normed, in.encoder_out, weights);
      CHECK((reference - expected).abs().max().item<double>() < 1e-12);
    }
  }
}

TEST_CASE("token-major attention keeps the heads' channels where the reference has them",
          "[models][attention]") {
  // Swapping the two heads' q rows changes which keys each head's queries meet; a layout that
  // took heads from the wrong channels would not see the difference the reference sees.
  at::manual_seed(12);
  auto weights = random_weights(at::kDouble);
  const auto inputs = random_inputs(at::kDouble);
  const int64_t ch = kChannels / kHeads;
  auto swapped = weights;
  swapped.qkv_weight = weights.qkv_weight.clone();
  swapped.qkv_weight.narrow(0, 0, ch).copy_(weights.qkv_weight.narrow(0, 3 * ch, ch));
  swapped.qkv_weight.narrow(0, 3 * ch, ch).copy_(weights.qkv_weight.narrow(0, 0, ch));
  const auto reference = [&](const AttentionWeights& w) {
    return glide::models::attention_channels_first(inputs.x, inputs.normed, inputs.encoder_out, w);
  };
  const auto token_major = [&](const AttentionWeights& w) {
    return glide::models::attention_token_major(inputs.x, inputs.normed, inputs.encoder_out, w,
                                                false);
  };
  CHECK((reference(swapped) - reference(weights)).abs().max().item<double>() > 1e-3);
  CHECK((token_major(swapped) - reference(swapped)).abs().max().item<double>() < 1e-12);
}

TEST_CASE("fused attention matches the reference layout, or names the LibTorch it needs",
          "[models][attention]") {
  at::manual_seed(13);
  const auto weights = random_weights(at::kFloat);
  const auto in = with_layouts(random_inputs(at::kFloat), true, true);
  const auto fused = [&] {
    return glide::models::attention_token_major(in.x, in.normed, in.encoder_out, weights, true);
  };
#if TORCH_VERSION_MAJOR >= 2
  const auto expected =
      glide::models::attention_channels_first(in.x, in.normed, in.encoder_out, weights);
  CHECK((fused() - expected).abs().max().item<double>() < 1e-4);
#else
  glide::test::require_error(fused, "needs LibTorch 2", glide::Status::invalid_argument);
#endif
}

TEST_CASE("env_choice takes one of the named values and refuses others by name", "[models]") {
  const char* name = "GLIDE_TEST_CHOICE";
  ::unsetenv(name);
  CHECK(glide::env_choice(name, {"a", "b"}, "a") == "a");
  ::setenv(name, "", 1);
  CHECK(glide::env_choice(name, {"a", "b"}, "a") == "a");
  ::setenv(name, "b", 1);
  CHECK(glide::env_choice(name, {"a", "b"}, "a") == "b");
  ::setenv(name, "B", 1);
  glide::test::require_error(
      [&] {
        glide::env_choice(name, {"a", "b"}, "a");
      },
      "GLIDE_TEST_CHOICE=\"B\" must be one of a, b", glide::Status::invalid_argument);
  ::unsetenv(name);
}
