#include "bench_timing.hpp"

#include <torch/cuda.h>

#include <algorithm>
#include <chrono>

#include "glide/models/network_call.hpp"

namespace glide::cli::bench {
namespace {

using Clock = std::chrono::steady_clock;

double elapsed_ms(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

}  // namespace

Timing summarize(std::vector<double> samples) {
  std::sort(samples.begin(), samples.end());
  const size_t n = samples.size();
  const double median = n % 2 ? samples[n / 2] : (samples[n / 2 - 1] + samples[n / 2]) / 2;
  return {median, samples.front(), samples.back()};
}

void synchronize(const torch::Device& device) {
  if (device.is_cuda()) torch::cuda::synchronize(device.has_index() ? device.index() : -1);
}

StepTiming time_network_step(const Text2ImUNet& model, int64_t rows, const torch::Device& device,
                             int repeats, size_t profile_top) {
  torch::InferenceMode inference;
  Text2ImUNet net = model;
  const ModelConfig& c = net->config();
  const auto on = torch::TensorOptions().device(device);
  const auto tokens = torch::randint(0, c.n_vocab - 1, {rows, c.text_ctx}, on.dtype(torch::kLong));
  const auto mask = torch::ones({rows, c.text_ctx}, on.dtype(torch::kBool));
  const TextEmbedding text = net->encode_text(tokens, mask);
  const auto x = torch::randn({rows, 3, c.image_size, c.image_size}, on);
  const auto t = torch::full({rows}, 500, on.dtype(torch::kLong));
  Conditioning cond;
  if (c.super_res) {
    const int64_t low = c.image_size / 4;  // GLIDE's upsampler works from a 4× smaller image
    cond.low_res = torch::randn({rows, 3, low, low}, on);
  }
  // As sampling runs it: on CUDA the warm-up captures the CUDA graph that the timed calls replay.
  const NetworkFn network = bind_network(net, text, cond);
  network(x, t);
  synchronize(device);
  std::vector<double> ms;
  for (int i = 0; i < repeats; ++i) {
    const auto start = Clock::now();
    network(x, t);
    synchronize(device);
    ms.push_back(elapsed_ms(start));
  }
  StepTiming result{summarize(ms), std::nullopt};
  if (profile_top > 0) {
    result.profile = profile_calls([&] { network(x, t); }, /*runs=*/3, device, profile_top);
  }
  return result;
}

PipelineTiming time_pipeline(GuidedSampler& sampler, const GenerationParams& params, int repeats,
                             bool rebind) {
  GenerationParams warm = params;
  warm.base.respacing = "2";
  warm.upsampler.respacing = "2";
  sampler.generate(warm);

  PipelineTiming result;
  const auto count_steps = [&result](const Progress& p) {
    int64_t& steps = p.stage == "base" ? result.base_steps : result.upsampler_steps;
    steps = p.total;
    return true;
  };
  std::vector<double> seconds;
  for (int i = 0; i < repeats; ++i) {
    if (rebind) sampler.release_cached_networks();
    const auto start = Clock::now();
    sampler.generate(params, count_steps);  // returns images on the CPU: the work is done
    seconds.push_back(elapsed_ms(start) / 1000.0);
  }
  result.seconds = summarize(seconds);
  return result;
}

}  // namespace glide::cli::bench
