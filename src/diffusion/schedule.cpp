#include "glide/diffusion/schedule.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <functional>
#include <set>

#include "glide/error.hpp"

namespace glide {
namespace {

// numpy.linspace(start, stop, num) in float64: start + i * step, the last value exactly `stop`.
std::vector<double> linspace(double start, double stop, int64_t num) {
  std::vector<double> values(static_cast<size_t>(num));
  const double step = num > 1 ? (stop - start) / static_cast<double>(num - 1) : 0.0;
  for (int64_t i = 0; i < num; ++i) values[i] = static_cast<double>(i) * step + start;
  if (num > 1) values.back() = stop;
  return values;
}

double cosine_alpha_bar(double t) {
  const double c = std::cos((t + 0.008) / 1.008 * M_PI / 2);
  return c * c;
}

// The cosine schedule with its signal-to-noise ratio divided by k² at every t ("simple diffusion",
// Hoogeboom et al. 2023, eq. 5: log SNR shifted by −2 log k). From SNR = ᾱ / (1 − ᾱ):
// ᾱ' = ᾱ / (ᾱ + k² (1 − ᾱ)), with ᾱ normalised so that ᾱ(0) = 1 as the cosine betas imply.
double shifted_cosine_alpha_bar(double t, double k) {
  const double a = cosine_alpha_bar(t) / cosine_alpha_bar(0);
  return a / (a + k * k * (1 - a));
}

std::vector<double> betas_from_alpha_bar(int64_t num_steps,
                                         const std::function<double(double)>& alpha_bar) {
  std::vector<double> betas(static_cast<size_t>(num_steps));
  const double n = static_cast<double>(num_steps);
  for (int64_t i = 0; i < num_steps; ++i) {
    const double t1 = static_cast<double>(i) / n;
    const double t2 = static_cast<double>(i + 1) / n;
    betas[i] = std::min(1 - alpha_bar(t2) / alpha_bar(t1), 0.999);
  }
  return betas;
}

constexpr const char* kShiftedCosinePrefix = "shifted_cosine_";

// The k of "shifted_cosine_<k>": a plain decimal number of at least 1; false when it is not one.
bool parse_shift(const std::string& text, double* out) {
  if (text.empty() || text.size() > 16) return false;
  bool dot = false;
  for (char c : text) {
    if (c == '.' && !dot) {
      dot = true;
    } else if (!std::isdigit(static_cast<unsigned char>(c))) {
      return false;
    }
  }
  if (text.front() == '.' || text.back() == '.') return false;
  *out = std::stod(text);
  return *out >= 1.0;
}

// Parses a non-negative decimal integer, allowing surrounding spaces; false when it is not one.
// Whitespace around a count is allowed, as Python's int() (which the reference uses) allows it.
constexpr char kWhitespace[] = " \t\n\r\f\v";

enum class Count { ok, not_a_number, too_large };

Count parse_count(const std::string& text, int64_t* out) {
  size_t begin = text.find_first_not_of(kWhitespace);
  size_t end = text.find_last_not_of(kWhitespace);
  if (begin == std::string::npos) return Count::not_a_number;
  int64_t value = 0;
  bool too_large = false;
  for (size_t i = begin; i <= end; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) return Count::not_a_number;
    if (value > (INT64_MAX - 9) / 10) too_large = true;
    if (!too_large) value = value * 10 + (text[i] - '0');
  }
  if (too_large) return Count::too_large;
  *out = value;
  return Count::ok;
}

[[noreturn]] void bad_spec(const std::string& spec, const std::string& why) {
  // A list of thousands of counts is not worth quoting whole.
  constexpr size_t kQuoted = 80;
  const std::string quoted =
      spec.size() <= kQuoted
          ? spec
          : spec.substr(0, kQuoted) + fmt::format("... ({} characters)", spec.size());
  throw Error(Status::invalid_argument, fmt::format("timestep respacing '{}': {}", quoted, why));
}

std::vector<int64_t> sections(int64_t num_timesteps, const std::vector<int64_t>& counts,
                              const std::string& spec) {
  if (counts.empty()) bad_spec(spec, "no section counts given");
  const int64_t n_sections = static_cast<int64_t>(counts.size());
  const int64_t size_per = num_timesteps / n_sections;
  const int64_t extra = num_timesteps % n_sections;
  std::set<int64_t> kept;
  int64_t start = 0;
  for (int64_t i = 0; i < n_sections; ++i) {
    const int64_t size = size_per + (i < extra ? 1 : 0);
    const int64_t count = counts[i];
    if (count < 0) bad_spec(spec, fmt::format("section {} has a negative count {}", i, count));
    if (size < count) {
      bad_spec(spec, fmt::format("section {} has {} of the {} steps and cannot keep {} of them "
                                 "(a section keeps at most as many steps as it has)",
                                 i, size, num_timesteps, count));
    }
    const double stride =
        count <= 1 ? 1.0 : static_cast<double>(size - 1) / static_cast<double>(count - 1);
    double position = 0.0;
    for (int64_t k = 0; k < count; ++k) {
      // Python's round(): halves go to the even neighbour, as nearbyint does by default.
      kept.insert(start + static_cast<int64_t>(std::nearbyint(position)));
      position += stride;
    }
    start += size;
  }
  if (kept.empty()) bad_spec(spec, "keeps no timesteps; at least one is needed");
  return {kept.begin(), kept.end()};
}

// What a respacing string asks for, before it meets a process's step count.
struct Respacing {
  enum Kind { every, ddim, fast27, sections } kind = every;
  int64_t ddim_steps = 0;
  std::vector<int64_t> counts;
};

Respacing parse_respacing(const std::string& spec) {
  Respacing parsed;
  if (spec.empty()) return parsed;
  if (spec.rfind("ddim", 0) == 0) {
    parsed.kind = Respacing::ddim;
    const Count count = parse_count(spec.substr(4), &parsed.ddim_steps);
    if (count == Count::too_large) bad_spec(spec, "the step count after 'ddim' is too large");
    if (count != Count::ok || parsed.ddim_steps < 1) {
      bad_spec(spec, "'ddim' must be followed by a positive step count, as in 'ddim50'");
    }
    return parsed;
  }
  if (spec == "fast27") {
    parsed.kind = Respacing::fast27;
    return parsed;
  }
  parsed.kind = Respacing::sections;
  size_t begin = 0;
  while (true) {
    const size_t comma = spec.find(',', begin);
    const std::string part = spec.substr(begin, comma == std::string::npos ? comma : comma - begin);
    int64_t count = 0;
    const Count parsed_count = parse_count(part, &count);
    if (parsed_count == Count::too_large) {
      bad_spec(spec, fmt::format("the step count '{}' is too large", part));
    }
    if (parsed_count != Count::ok) {
      bad_spec(spec, fmt::format("'{}' is not a step count; expected comma-separated "
                                 "non-negative integers, 'ddimN' or 'fast27'",
                                 part));
    }
    parsed.counts.push_back(count);
    if (comma == std::string::npos) break;
    begin = comma + 1;
  }
  if (std::all_of(parsed.counts.begin(), parsed.counts.end(), [](int64_t c) { return c == 0; })) {
    bad_spec(spec, "keeps no timesteps; at least one is needed");
  }
  return parsed;
}

void check_num_timesteps(int64_t num_timesteps) {
  if (num_timesteps < 1 || num_timesteps > kMaxDiffusionSteps) {
    throw Error(Status::invalid_argument, fmt::format("diffusion_steps is {}; expected 1 to {}",
                                                      num_timesteps, kMaxDiffusionSteps));
  }
}

}  // namespace

std::vector<std::string> beta_schedule_names() {
  return {"linear", "squaredcos_cap_v2"};
}

std::vector<double> named_beta_schedule(const std::string& name, int64_t num_steps) {
  check_num_timesteps(num_steps);
  if (name == "linear") {
    // Scaled so that any step count spans the same noise as 1,000 steps: its last beta, 0.02 *
    // 1000 / steps, is at most 1 only from 20 steps on.
    if (num_steps < 20) {
      throw Error(Status::invalid_argument,
                  fmt::format("diffusion_steps is {}; the linear schedule needs at least 20 (its "
                              "last beta, 20 / diffusion_steps, must not exceed 1)",
                              num_steps));
    }
    const double scale = 1000.0 / static_cast<double>(num_steps);
    return linspace(scale * 0.0001, scale * 0.02, num_steps);
  }
  if (name == "squaredcos_cap_v2") return betas_from_alpha_bar(num_steps, cosine_alpha_bar);
  if (name.rfind(kShiftedCosinePrefix, 0) == 0) {
    double k = 0;
    const std::string shift = name.substr(std::string(kShiftedCosinePrefix).size());
    if (!parse_shift(shift, &k)) {
      throw Error(Status::invalid_argument,
                  fmt::format("noise_schedule '{}': the shift '{}' must be a decimal number of at "
                              "least 1, as in 'shifted_cosine_4'",
                              name, shift));
    }
    return betas_from_alpha_bar(num_steps,
                                [k](double t) { return shifted_cosine_alpha_bar(t, k); });
  }
  throw Error(Status::invalid_argument,
              fmt::format("noise_schedule '{}' is unknown; expected one of: {}, or "
                          "shifted_cosine_<k> (k >= 1)",
                          name, fmt::join(beta_schedule_names(), ", ")));
}

std::vector<int64_t> space_timesteps(int64_t num_timesteps,
                                     const std::vector<int64_t>& section_counts) {
  check_num_timesteps(num_timesteps);
  return sections(num_timesteps, section_counts, fmt::format("{}", fmt::join(section_counts, ",")));
}

std::vector<int64_t> space_timesteps(int64_t num_timesteps, const std::string& spec) {
  check_num_timesteps(num_timesteps);
  const Respacing parsed = parse_respacing(spec);
  if (parsed.kind == Respacing::every) return sections(num_timesteps, {num_timesteps}, spec);
  if (parsed.kind == Respacing::ddim) {
    for (int64_t stride = 1; stride < num_timesteps; ++stride) {
      if ((num_timesteps + stride - 1) / stride == parsed.ddim_steps) {
        std::vector<int64_t> kept;
        for (int64_t t = 0; t < num_timesteps; t += stride) kept.push_back(t);
        return kept;
      }
    }
    bad_spec(spec, fmt::format("no integer stride keeps exactly {} of {} steps", parsed.ddim_steps,
                               num_timesteps));
  }
  if (parsed.kind == Respacing::fast27) {
    std::vector<int64_t> kept =
        space_timesteps(num_timesteps, std::vector<int64_t>{10, 10, 3, 2, 2});
    // The noisiest step is swapped for T-3, which the reference found to reduce DDIM artifacts.
    auto last = std::find(kept.begin(), kept.end(), num_timesteps - 1);
    if (last == kept.end() || num_timesteps < 3) {
      bad_spec(spec, fmt::format("needs a process whose last step {} is kept by 10,10,3,2,2",
                                 num_timesteps - 1));
    }
    kept.erase(last);
    std::set<int64_t> unique(kept.begin(), kept.end());
    unique.insert(num_timesteps - 3);
    return {unique.begin(), unique.end()};
  }
  return sections(num_timesteps, parsed.counts, spec);
}

void check_respacing(const std::string& spec) {
  const Respacing parsed = parse_respacing(spec);
  int64_t kept = parsed.ddim_steps;
  for (const int64_t count : parsed.counts) kept = std::min(kept + count, kMaxDiffusionSteps + 1);
  if (kept > kMaxDiffusionSteps) {
    bad_spec(spec,
             fmt::format("keeps more steps than any process has (at most {})", kMaxDiffusionSteps));
  }
}

std::string canonical_respacing(const std::string& spec) {
  check_respacing(spec);
  const Respacing parsed = parse_respacing(spec);
  switch (parsed.kind) {
    case Respacing::every: return "";
    case Respacing::ddim: return fmt::format("ddim{}", parsed.ddim_steps);
    case Respacing::fast27: return "fast27";
    case Respacing::sections: break;
  }
  return fmt::format("{}", fmt::join(parsed.counts, ","));
}

}  // namespace glide
