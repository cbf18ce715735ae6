#pragma once

#include "glide/diffusion/denoise_fn.hpp"

namespace glide {

// Classifier-free guidance as GLIDE samples with it (Ho & Salimans 2021; Nichol et al. 2022,
// sec. 2.3). The wrapped function takes a batch of 2B laid out [conditional; unconditional]
// (the conditioning itself lives inside `denoise_fn`, e.g. tokens [prompt; empty]). It runs
// `denoise_fn` once on [x[:B]; x[:B]] (the second half of x is ignored, as GLIDE does), forms
// eps = uncond + scale · (cond − uncond) and returns it for both halves, with the variance values
// as the model gives them. Only the first B samples of the result are meant to be kept.
//
// guidance_rescale φ in [0, 1] (Lin et al. 2023, "Common Diffusion Noise Schedules and Sample
// Steps are Flawed", sec. 3.4): the guided eps is rescaled per sample to the conditional eps's
// standard deviation, then mixed: φ · rescaled + (1 − φ) · guided. 0 is GLIDE's behaviour.
//
// Throws glide::Error(invalid_argument) for a non-finite scale or φ outside [0, 1]; the returned
// function throws it for an odd batch.
DenoiseFn classifier_free_guidance(DenoiseFn denoise_fn, double guidance_scale,
                                   double guidance_rescale = 0.0);

}  // namespace glide
