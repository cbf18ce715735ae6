#pragma once

// A denoising loop's view of the network: x_t and t change from call to call, the text
// embedding and the conditioning stay the same for the whole loop.
#include <torch/types.h>

#include <functional>

#include "glide/models/text2im_unet.hpp"

namespace glide {

// (x_t, t) -> the network's output, (B, 6, H, W) in x_t's dtype.
using NetworkFn = std::function<torch::Tensor(const torch::Tensor& x, const torch::Tensor& t)>;

// Binds the model to one prompt batch's text embedding and conditioning.
//
// On a CUDA device (in a build whose LibTorch has CUDA) the first call with a given shape of x
// runs the network once eagerly, which lets cuDNN choose its algorithms, then captures one
// evaluation into a CUDA graph; later calls with that shape copy x and t into the graph's inputs
// and replay it. At small batches a step is bound by launching its ~1,000 kernels one by one
// from the host, which the replay removes. The graph holds activation memory for as long as the
// returned function lives, in a pool that every graph replayed on the same device and stream
// shares (they never run at once). Set GLIDE_CUDA_GRAPHS=0 to run every call eagerly.
//
// Call without autograd (torch::InferenceMode or NoGradGuard), as sampling does.
NetworkFn bind_network(Text2ImUNet model, TextEmbedding text, Conditioning cond = {});

// False when the environment variable GLIDE_CUDA_GRAPHS is "0".
bool cuda_graphs_enabled();

}  // namespace glide
