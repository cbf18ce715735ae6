#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace glide {

// β_1..β_T of a named schedule, in float64 exactly as the reference computes them:
//  - "linear": Ho et al. 2020, from 1e-4 to 0.02 at T = 1000, both ends scaled by 1000 / T.
//  - "squaredcos_cap_v2": Nichol & Dhariwal 2021 eq. 17, ᾱ(t) = cos²((t + 0.008) / 1.008 · π/2),
//    β_t = min(1 − ᾱ(t / T) / ᾱ((t − 1) / T), 0.999).
//  - "shifted_cosine_<k>" (not in the reference; k ≥ 1, e.g. "shifted_cosine_8"): the cosine
//  schedule
//    with SNR(t) divided by k² (Hoogeboom et al. 2023), so low frequencies are destroyed sooner —
//    for images whose content is mostly flat color, where the plain schedule leaves it readable
//    in x_t almost to t = T. k = 1 is the cosine schedule itself.
// Throws glide::Error(invalid_argument) for an unknown name or num_steps outside 1 to
// kMaxDiffusionSteps (the linear schedule: below 20, where its last beta would exceed 1).
std::vector<double> named_beta_schedule(const std::string& name, int64_t num_steps);
// Far beyond any published schedule (GLIDE's have 1,000 steps, improved DDPM's 4,000); a typo'd
// count of hundreds of millions would otherwise spend minutes and gigabytes on its tables.
constexpr int64_t kMaxDiffusionSteps = 100000;
// The reference's schedule names (the shifted family is not listed).
std::vector<std::string> beta_schedule_names();

// The timesteps of a `num_timesteps`-step process that a respacing string keeps, ascending:
//  - "N,M,...": the process is cut into as many equal sections (earlier ones take the remainder)
//    and each keeps that many evenly strided steps; "N" is one section.
//  - "ddimN": the integer stride that keeps exactly N steps, starting at 0 (DDIM paper).
//  - "fast27": "10,10,3,2,2" with the last step T-1 swapped for T-3.
//  - "": every step.
// Throws glide::Error(invalid_argument) naming the spec and the reason when it cannot be met.
std::vector<int64_t> space_timesteps(int64_t num_timesteps, const std::string& spec);
std::vector<int64_t> space_timesteps(int64_t num_timesteps,
                                     const std::vector<int64_t>& section_counts);

// Throws what space_timesteps would for any step count: the spec's form ("ddim" without a
// count, a section that is not a number, nothing kept). For checking before a model's step
// count is known.
void check_respacing(const std::string& spec);

// One spelling for each respacing: "02,10" → "2,10", "ddim050" → "ddim50"; two specs keep the
// same timesteps of any process when their canonical forms are equal. Throws as check_respacing.
std::string canonical_respacing(const std::string& spec);

}  // namespace glide
