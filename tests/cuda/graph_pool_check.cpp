// glide-cuda-check's part for CUDA graphs that share a memory pool (src/cuda/graphed_call.cpp):
// two models bound at once, their graphs replayed in turn on one stream, as a pipeline's base
// and upsampler stages are, must give what eager evaluation gives.
#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>
#include <torch/utils.h>

#include <cstdio>

#include "cuda/checks.hpp"
#include "cuda/norm_reference.hpp"
#include "glide/models/config.hpp"
#include "glide/models/network_call.hpp"
#include "glide/models/text2im_unet.hpp"

namespace {

// A model on the device whose every weight is random: GLIDE zero-initializes its output layers,
// which would make every output zero and the comparison empty.
glide::Text2ImUNet random_model(const glide::ModelConfig& config, const torch::Device& device) {
  glide::Text2ImUNet model(config);
  model->eval();
  model->to(device);
  const torch::NoGradGuard no_grad;
  for (auto& p : model->parameters()) p.normal_(0.0, 0.2);
  return model;
}

}  // namespace

int check_shared_graph_pool(const torch::Device& device) {
  torch::manual_seed(1);
  const int64_t batch = 2;
  const auto base_config = glide::ModelConfig::tiny_base();
  const auto up_config = glide::ModelConfig::tiny_upsampler();
  auto base = random_model(base_config, device), up = random_model(up_config, device);
  const c10::InferenceMode inference;
  const auto tokens_for = [&](const glide::ModelConfig& c) {
    return at::randint(0, c.n_vocab, {batch, c.text_ctx}, at::TensorOptions().device(device));
  };
  const auto mask =
      at::ones({batch, base_config.text_ctx}, at::TensorOptions().device(device).dtype(at::kBool));
  const auto base_text = base->encode_text(tokens_for(base_config), mask);
  const auto up_text = up->encode_text(tokens_for(up_config), mask);
  const glide::Conditioning up_cond{at::randn({batch, 3, 16, 16}, device)};
  const auto base_network = glide::bind_network(base, base_text);
  const auto up_network = glide::bind_network(up, up_text, up_cond);

  int failures = 0;
  std::printf("\nCUDA graphs of two models sharing one memory pool, replayed in turn\n");
  for (int round = 0; round < 3; ++round) {
    const auto base_x = at::randn({batch, 3, 16, 16}, device);
    const auto up_x = at::randn({batch, 3, 64, 64}, device);
    const auto t = at::randint(0, 1000, {batch}, at::TensorOptions().device(device));
    const auto base_out = base_network(base_x, t);
    const auto up_out = up_network(up_x, t);  // after base_out was taken: it must stay intact
    const double base_error = glide::test::relative_error(
        base_out, base->forward(base_x, t, base_text, {}).to(at::kDouble));
    const double up_error =
        glide::test::relative_error(up_out, up->forward(up_x, t, up_text, up_cond).to(at::kDouble));
    const bool ok = base_error < 1e-4 && up_error < 1e-4 && base_out.abs().max().item<double>() > 0;
    std::printf("round %d: base %.2e, upsampler %.2e against eager %s\n", round, base_error,
                up_error, ok ? "" : "FAIL");
    failures += !ok;
  }
  return failures;
}
