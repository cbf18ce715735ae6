#include "bench_report.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

namespace glide::cli::bench {
namespace {

using Json = nlohmann::ordered_json;

const char* plural(int64_t n) {
  return n == 1 ? "" : "s";
}

std::string percent_of_peak(const BenchReport& r, const std::optional<double>& tflops) {
  if (!tflops || !r.device.peak) return "";
  return fmt::format("{:.1f}%", 100.0 * *tflops / r.device.peak->tflops);
}

std::string tflops_text(const std::optional<double>& tflops) {
  return tflops ? fmt::format("{:.2f}", *tflops) : "-";
}

void step_rows(std::string& out, const BenchReport& r, const char* network,
               const std::vector<StepResult>& steps) {
  for (const StepResult& s : steps) {
    out += fmt::format("  {:<10} {:>5} {:>5} {:>11.2f} {:>11.2f} {:>11.2f} {:>9} {:>8} {:>10.0f}\n",
                       network, s.batch, s.rows, s.ms.median, s.ms.min, s.ms.max,
                       tflops_text(s.tflops), percent_of_peak(r, s.tflops), s.peak_mib);
  }
}

// Kernel names can run to hundreds of characters of template arguments.
std::string shortened(const std::string& name, size_t most) {
  return name.size() <= most ? name : name.substr(0, most - 3) + "...";
}

void profile_rows(std::string& out, const char* network, const std::vector<StepResult>& steps) {
  for (const StepResult& s : steps) {
    if (!s.profile) continue;
    const OpProfile& p = *s.profile;
    out += fmt::format(
        "\nwhere one {} step goes, batch {} ({} rows): {}, mean of {} profiled runs, {:.2f} ms "
        "in all\n",
        network, s.batch, s.rows, p.what, p.runs, p.total_ms);
    out += fmt::format("  {:>9} {:>6} {:>7}  {}\n", "ms", "share", "calls", "operation");
    if (p.ops.empty()) out += "  (the profiler recorded no operations)\n";
    for (const OpTime& op : p.ops) {
      const double share = p.total_ms > 0 ? 100.0 * op.ms / p.total_ms : 0.0;
      out += fmt::format("  {:>9.3f} {:>5.1f}% {:>7.0f}  {}\n", op.ms, share, op.calls,
                         shortened(op.name, 100));
    }
  }
}

Json profile_json(const OpProfile& p) {
  Json ops = Json::array();
  for (const OpTime& op : p.ops) {
    ops.push_back({{"name", shortened(op.name, 200)}, {"calls", op.calls}, {"ms", op.ms}});
  }
  return {{"what", p.what}, {"runs", p.runs}, {"total_ms", p.total_ms}, {"ops", ops}};
}

Json step_json(const BenchReport& r, const std::vector<StepResult>& steps) {
  Json by_batch = Json::object();
  for (const StepResult& s : steps) {
    Json j{{"rows", s.rows},
           {"ms", s.ms.median},
           {"min_ms", s.ms.min},
           {"max_ms", s.ms.max},
           {"peak_memory_mib", s.peak_mib}};
    if (s.tflops) j["tflops"] = *s.tflops;
    if (s.tflops && r.device.peak) j["fraction_of_peak"] = *s.tflops / r.device.peak->tflops;
    if (s.profile) j["profile"] = profile_json(*s.profile);
    by_batch[std::to_string(s.batch)] = j;
  }
  return by_batch;
}

const StepResult* batch_one(const std::vector<StepResult>& steps) {
  for (const StepResult& s : steps) {
    if (s.batch == 1) return &s;
  }
  return nullptr;
}

}  // namespace

std::string format_table(const BenchReport& r) {
  std::string out = fmt::format("device   {}\n", r.device.name);
  if (!r.device.cpu_model.empty()) out += fmt::format("cpu      {}\n", r.device.cpu_model);
  out += fmt::format("dtype    {}, {} CPU thread{}, median of {} timed run{} after a warm-up\n",
                     r.dtype, r.threads, plural(r.threads), r.repeats, plural(r.repeats));
  if (r.device.peak) {
    out +=
        fmt::format("peak     {:.0f} TFLOP/s ({})\n", r.device.peak->tflops, r.device.peak->basis);
  }
  if (!r.base_model.empty()) out += fmt::format("base     {}\n", r.base_model);
  if (!r.upsampler_model.empty()) out += fmt::format("upsample {}\n", r.upsampler_model);
  for (const auto& [name, value] : r.environment)
    out += fmt::format("env      {}={}\n", name, value);

  if (!r.base_steps.empty() || !r.upsampler_steps.empty()) {
    out +=
        "\none denoising step (the base model runs 2 rows per image: classifier-free guidance)\n";
    out += fmt::format("  {:<10} {:>5} {:>5} {:>11} {:>11} {:>11} {:>9} {:>8} {:>10}\n", "network",
                       "batch", "rows", "ms/step", "min ms", "max ms", "TFLOP/s", "of peak",
                       "peak MiB");
    step_rows(out, r, "base", r.base_steps);
    step_rows(out, r, "upsampler", r.upsampler_steps);
    profile_rows(out, "base", r.base_steps);
    profile_rows(out, "upsampler", r.upsampler_steps);
  }
  if (!r.pipelines.empty()) {
    const PipelineTiming& t = r.pipelines.front().timing;
    out += fmt::format(
        "\nwhole pipeline (GuidedSampler::generate): base {} {} steps{}, upsampler {} {} "
        "steps; {}\n",
        r.base_sampler, t.base_steps, r.base_guided ? " guided" : "", r.upsampler_sampler,
        t.upsampler_steps,
        r.pipeline_rebind ? "networks bound afresh in every run (--rebind)"
                          : "networks kept bound from the warm-up");
    out += fmt::format("  {:>5} {:>10} {:>10} {:>10} {:>9} {:>8} {:>10}\n", "batch", "seconds",
                       "min s", "max s", "images/s", "TFLOP/s", "peak MiB");
    for (const PipelineResult& p : r.pipelines) {
      out += fmt::format("  {:>5} {:>10.3f} {:>10.3f} {:>10.3f} {:>9.3f} {:>8} {:>10.0f}\n",
                         p.batch, p.timing.seconds.median, p.timing.seconds.min,
                         p.timing.seconds.max, p.images_per_s, tflops_text(p.tflops), p.peak_mib);
    }
    for (const PipelineResult& p : r.pipelines) {
      if (!p.syncs) continue;
      out += fmt::format("  batch {}: {} synchronizing CUDA operation{} in one more call\n",
                         p.batch, p.syncs->total, plural(p.syncs->total));
      for (const auto& [site, n] : p.syncs->sites) out += fmt::format("    {:>6}  {}\n", n, site);
    }
  }
  out += fmt::format("\npeak memory {:.0f} MiB: {}\n", r.peak_mib, r.memory_source);
  return out;
}

std::string format_json(const BenchReport& r) {
  Json j;
  j["device"] = r.device.name;
  if (!r.device.cpu_model.empty()) j["cpu_model"] = r.device.cpu_model;
  j["dtype"] = r.dtype;
  j["threads"] = r.threads;
  j["repeats"] = r.repeats;
  if (r.device.peak) {
    j["device_peak_tflops"] = r.device.peak->tflops;
    j["device_peak_basis"] = r.device.peak->basis;
  }
  Json models = Json::object();
  if (!r.base_model.empty()) models["base"] = r.base_model;
  if (!r.upsampler_model.empty()) models["upsampler"] = r.upsampler_model;
  j["models"] = models;
  Json environment = Json::object();
  for (const auto& [name, value] : r.environment) environment[name] = value;
  j["environment"] = environment;
  if (const StepResult* s = batch_one(r.base_steps)) j["base_step_ms"] = s->ms.median;
  if (const StepResult* s = batch_one(r.upsampler_steps)) j["upsampler_step_ms"] = s->ms.median;
  if (!r.base_steps.empty()) j["base_step"] = step_json(r, r.base_steps);
  if (!r.upsampler_steps.empty()) j["upsampler_step"] = step_json(r, r.upsampler_steps);
  if (!r.pipelines.empty()) {
    const PipelineTiming& t = r.pipelines.front().timing;
    j["pipeline"] = {
        {"base", {{"sampler", r.base_sampler}, {"steps", t.base_steps}, {"guided", r.base_guided}}},
        {"upsampler", {{"sampler", r.upsampler_sampler}, {"steps", t.upsampler_steps}}},
        {"rebind", r.pipeline_rebind}};
    Json seconds = Json::object(), images = Json::object(), tflops = Json::object(),
         memory = Json::object();
    for (const PipelineResult& p : r.pipelines) {
      const std::string key = std::to_string(p.batch);
      seconds[key] = p.timing.seconds.median;
      images[key] = p.images_per_s;
      if (p.tflops) tflops[key] = *p.tflops;
      memory[key] = p.peak_mib;
    }
    j["pipeline_s"] = seconds;
    j["images_per_s"] = images;
    if (!tflops.empty()) j["pipeline_tflops"] = tflops;
    j["pipeline_peak_memory_mib"] = memory;
    Json syncs = Json::object();
    for (const PipelineResult& p : r.pipelines) {
      if (!p.syncs) continue;
      Json sites = Json::array();
      for (const auto& [site, n] : p.syncs->sites) sites.push_back({{"site", site}, {"count", n}});
      syncs[std::to_string(p.batch)] = {{"total", p.syncs->total}, {"sites", sites}};
    }
    if (!syncs.empty()) j["pipeline_syncs"] = syncs;
  }
  j["peak_memory_mib"] = r.peak_mib;
  j["peak_memory_source"] = r.memory_source;
  return j.dump(2) + "\n";
}

}  // namespace glide::cli::bench
