#include <fmt/format.h>
#include <fmt/ranges.h>

#include "glide/error.hpp"
#include "glide/samplers/sampler.hpp"

namespace glide {
namespace detail {
#define GLIDE_SAMPLER(factory, name) std::unique_ptr<Sampler> factory(const SamplerParams&);
#include "samplers/sampler_list.hpp"
#undef GLIDE_SAMPLER
}  // namespace detail

namespace {
struct Entry {
  const char* name;
  std::unique_ptr<Sampler> (*make)(const SamplerParams&);
};
const Entry kSamplers[] = {
#define GLIDE_SAMPLER(factory, name) {name, &detail::factory},
#include "samplers/sampler_list.hpp"
#undef GLIDE_SAMPLER
};
}  // namespace

std::vector<std::string> sampler_names() {
  std::vector<std::string> names;
  for (const Entry& entry : kSamplers) names.emplace_back(entry.name);
  return names;
}

std::unique_ptr<Sampler> make_sampler(const std::string& name, const SamplerParams& params) {
  for (const Entry& entry : kSamplers) {
    if (name == entry.name) return entry.make(params);
  }
  throw Error(Status::not_found, fmt::format("sampler '{}' is unknown; expected one of: {}", name,
                                             fmt::join(sampler_names(), ", ")));
}

}  // namespace glide
