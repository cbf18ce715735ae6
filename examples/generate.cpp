// Text to image with GLIDE: glide-generate BASE UPSAMPLER "PROMPT" [OUT_PREFIX] [SEED]
// BASE and UPSAMPLER are checkpoints (official .pt files or .safetensors); writes
// OUT_PREFIX-base.ppm and OUT_PREFIX-upsampled.ppm.
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>

#include "glide/pipeline/guided_sampler.hpp"

namespace {

// Binary PPM (P6) of one uint8 (H, W, 3) image.
void write_ppm(const std::string& path, const torch::Tensor& image) {
  std::ofstream out(path, std::ios::binary);
  out << "P6\n" << image.size(1) << ' ' << image.size(0) << "\n255\n";
  out.write(reinterpret_cast<const char*>(image.contiguous().data_ptr<uint8_t>()), image.numel());
  if (!out) throw std::runtime_error("cannot write " + path);
  std::cerr << "wrote " << path << '\n';
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::cerr << "usage: " << argv[0] << " BASE UPSAMPLER \"PROMPT\" [OUT_PREFIX] [SEED]\n";
    return 2;
  }
  const std::string prefix = argc > 4 ? argv[4] : "glide";
  try {
    glide::GuidedSampler sampler(glide::load_stage_model(argv[1]),
                                 glide::load_stage_model(argv[2]));
    glide::GenerationParams params;
    params.prompts = {argv[3]};
    params.seed = argc > 5 ? std::strtoull(argv[5], nullptr, 10) : 0;
    const auto result = sampler.generate(params, [](const glide::Progress& p) {
      std::cerr << '\r' << p.stage << ' ' << p.step << '/' << p.total << std::flush;
      if (p.step == p.total) std::cerr << '\n';
      return true;
    });
    write_ppm(prefix + "-base.ppm", result.base[0]);
    write_ppm(prefix + "-upsampled.ppm", result.upsampled[0]);
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << '\n';
    return 1;
  }
  return 0;
}
