#include "glide/models/network_call.hpp"

#include <utility>

#include "glide/runtime.hpp"

#ifdef GLIDE_WITH_CUDA
#include "cuda/graphed_call.hpp"
#endif

namespace glide {

bool cuda_graphs_enabled() {
  return env_switch("GLIDE_CUDA_GRAPHS", true);
}

NetworkFn bind_network(Text2ImUNet model, TextEmbedding text, Conditioning cond) {
  NetworkFn eager = [model, text = std::move(text), cond = std::move(cond)](
                        const torch::Tensor& x, const torch::Tensor& t) mutable {
    return model->forward(x, t, text, cond);
  };
#ifdef GLIDE_WITH_CUDA
  if (cuda_graphs_enabled()) return cuda::graphed(std::move(eager));
#endif
  return eager;
}

}  // namespace glide
