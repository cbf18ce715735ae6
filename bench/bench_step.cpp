// Per-step latency of the full-size GLIDE networks (random weights): the base model at batch
// 2 x B (classifier-free guidance runs [cond; uncond]) and the upsampler at batch B.
// usage: bench_step [--device cpu|cuda] [--dtype float32|float16|bfloat16] [--batch B]
//                   [--repeats N] [--only base|upsampler] [--threads N]
#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <fmt/core.h>
#include <torch/cuda.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "glide/models/text2im_unet.hpp"
#include "glide/runtime.hpp"

namespace {

struct Options {
  torch::Device device = torch::kCPU;
  torch::Dtype dtype = torch::kFloat32;
  int64_t batch = 1;
  int repeats = 5;
  std::string only;
};

torch::Dtype parse_dtype(const std::string& s) {
  if (s == "float16") return torch::kFloat16;
  if (s == "bfloat16") return torch::kBFloat16;
  if (s == "float32") return torch::kFloat32;
  throw std::invalid_argument("--dtype " + s + ": expected float32, float16 or bfloat16");
}

void sync(const torch::Device& device) {
  if (device.is_cuda()) torch::cuda::synchronize();
}

// Median milliseconds of one forward pass after one warm-up.
double time_step(glide::ModelConfig config, int64_t batch, const Options& o,
                 double gflop_per_image) {
  glide::Text2ImUNet model(config);
  model->to(o.device);
  model->set_compute_dtype(o.dtype);
  model->eval();
  torch::InferenceMode guard;
  const auto on = torch::TensorOptions().device(o.device);
  const int64_t size = config.image_size;
  const auto tokens = torch::randint(0, 50256, {batch, config.text_ctx}, on.dtype(torch::kLong));
  const auto mask = torch::ones({batch, config.text_ctx}, on.dtype(torch::kBool));
  const auto text = model->encode_text(tokens, mask);
  const auto x = torch::randn({batch, 3, size, size}, on);
  const auto t = torch::full({batch}, 500, on.dtype(torch::kLong));
  glide::Conditioning cond;
  if (config.super_res) cond.low_res = torch::randn({batch, 3, size / 4, size / 4}, on);
  model->forward(x, t, text, cond);
  sync(o.device);
  std::vector<double> ms;
  for (int i = 0; i < o.repeats; ++i) {
    const auto start = std::chrono::steady_clock::now();
    model->forward(x, t, text, cond);
    sync(o.device);
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                     .count());
  }
  std::sort(ms.begin(), ms.end());
  const double median = ms[ms.size() / 2];
  fmt::print("{:<10} batch {:>3}  {:>9.1f} ms/step  {:>7.2f} TFLOP/s  (min {:.1f}, max {:.1f})\n",
             config.super_res ? "upsampler" : "base", batch, median,
             gflop_per_image * batch / median, ms.front(), ms.back());
  return median;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  try {
    for (int i = 1; i + 1 < argc; i += 2) {
      const std::string flag = argv[i], value = argv[i + 1];
      if (flag == "--device")
        o.device = torch::Device(value);
      else if (flag == "--dtype")
        o.dtype = parse_dtype(value);
      else if (flag == "--batch")
        o.batch = std::stoll(value);
      else if (flag == "--repeats")
        o.repeats = std::stoi(value);
      else if (flag == "--only")
        o.only = value;
      else if (flag == "--threads")
        glide::set_num_threads(std::stoi(value));
      else
        throw std::invalid_argument("unknown flag " + flag);
    }
  } catch (const std::exception& e) {
    fmt::print(stderr, "bench_step: {}\n", e.what());
    return 2;
  }
  glide::ensure_threads();
  if (o.device.is_cuda()) at::globalContext().setBenchmarkCuDNN(true);
  fmt::print("device {}, dtype {}, threads {}\n", o.device.str(), c10::toString(o.dtype),
             at::get_num_threads());
  // GFLOP per image per step, from DESIGN.md.
  if (o.only.empty() || o.only == "base")
    time_step(glide::ModelConfig::base(), 2 * o.batch, o, 238);
  if (o.only.empty() || o.only == "upsampler") {
    time_step(glide::ModelConfig::upsampler(), o.batch, o, 1280);
  }
  return 0;
}
