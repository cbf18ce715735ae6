#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <fmt/core.h>
#include <torch/cuda.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "bench_device.hpp"
#include "bench_models.hpp"
#include "bench_report.hpp"
#include "bench_timing.hpp"
#include "commands.hpp"
#include "glide/error.hpp"
#include "glide/pipeline/guided_sampler.hpp"
#include "glide/runtime.hpp"
#include "param_flags.hpp"
#include "usage_error.hpp"

namespace glide::cli {

namespace {

struct BenchOptions {
  std::string device = "cpu";
  std::string dtype = "float32";
  std::vector<int64_t> batches;  // empty: 1, 4, 16
  int repeats = 5;
  std::vector<std::string> only;  // of "base", "upsampler" and "pipeline"; empty: all three
  int threads = 0;
  bool json = false;
  bool rebind = false;       // bind each stage's network afresh in every timed pipeline run
  bool count_syncs = false;  // count the host's waits for the device in one more pipeline call
  size_t profile = 0;        // operations kept in each per-step profile; 0: no profile
  bench::ModelChoice models;
  std::unique_ptr<ParamFlags> stages;  // --base-* / --upsampler-*: the pipeline's sampling
};

// A flag's value or combination the user must change (exit status 2).
[[noreturn]] void invalid(const std::string& message) {
  throw UsageError(message);
}

torch::Device parse_device(const std::string& name) {
  const bool cuda = name == "cuda" || name.rfind("cuda:", 0) == 0;
  if (name != "cpu" && !cuda)
    invalid(fmt::format("--device {}: expected cpu, cuda or cuda:N", name));
  torch::Device device = torch::kCPU;
  try {
    device = torch::Device(name);
  } catch (const std::exception&) {
    invalid(fmt::format("--device {}: expected cpu, cuda or cuda:N", name));
  }
  if (cuda && !torch::cuda::is_available()) {
    throw Error(Status::unsupported,
                fmt::format("--device {}: no CUDA device is available to this glide", name));
  }
  if (cuda && device.has_index() &&
      device.index() >= static_cast<int>(torch::cuda::device_count())) {
    invalid(
        fmt::format("--device {}: there are {} CUDA devices", name, torch::cuda::device_count()));
  }
  return device;
}

torch::Dtype parse_dtype(const std::string& name, const torch::Device& device) {
  torch::Dtype dtype = torch::kFloat32;
  if (name == "float16") {
    dtype = torch::kFloat16;
  } else if (name == "bfloat16") {
    dtype = torch::kBFloat16;
  } else if (name != "float32") {
    invalid(fmt::format("--dtype {}: expected float32, float16 or bfloat16", name));
  }
  if (dtype == torch::kFloat16 && !device.is_cuda()) {
    invalid(
        "--dtype float16 needs --device cuda (glide runs float16 on CUDA only: LibTorch's CPU "
        "kernels lack float16 matrix products); on the CPU use float32 or bfloat16");
  }
  return dtype;
}

// The pipeline's batch sizes in the order given, without repeats.
std::vector<int64_t> pipeline_batches(const std::vector<int64_t>& given) {
  std::vector<int64_t> batches;
  for (int64_t b : given.empty() ? std::vector<int64_t>{1, 4, 16} : given) {
    if (b < 1 || b > GenerationParams::kMaxBatchSize) {
      invalid(fmt::format("--batch {}: batch sizes must lie in [1, {}]", b,
                          GenerationParams::kMaxBatchSize));
    }
    if (std::find(batches.begin(), batches.end(), b) == batches.end()) batches.push_back(b);
  }
  return batches;
}

// Per-step timings always include batch 1.
std::vector<int64_t> step_batches(std::vector<int64_t> batches) {
  batches.push_back(1);
  std::sort(batches.begin(), batches.end());
  batches.erase(std::unique(batches.begin(), batches.end()), batches.end());
  return batches;
}

void note(const std::string& message) {
  fmt::print(stderr, "glide bench: {}\n", message);
}

std::vector<bench::StepResult> time_steps(const bench::BenchModel& model, bool guided,
                                          const std::vector<int64_t>& batches,
                                          const torch::Device& device, int repeats,
                                          size_t profile_top, bench::MemoryMeter& meter) {
  const char* name = model.stage.model->config().super_res ? "upsampler" : "base";
  std::vector<bench::StepResult> results;
  for (int64_t batch : batches) {
    bench::StepResult r;
    r.batch = batch;
    r.rows = guided ? 2 * batch : batch;
    note(fmt::format("{} step, batch {} ({} row{})", name, batch, r.rows, r.rows == 1 ? "" : "s"));
    meter.reset_peak();
    bench::StepTiming timing =
        bench::time_network_step(model.stage.model, r.rows, device, repeats, profile_top);
    r.ms = timing.ms;
    r.profile = std::move(timing.profile);
    r.peak_mib = meter.peak_mib();
    // GFLOP per millisecond is TFLOP/s.
    if (model.gflop_per_image) r.tflops = *model.gflop_per_image * r.rows / r.ms.median;
    results.push_back(r);
  }
  return results;
}

std::vector<bench::PipelineResult> time_pipelines(const bench::BenchModels& models,
                                                  const GenerationParams& sampling,
                                                  const std::vector<int64_t>& batches,
                                                  const torch::Device& device, torch::Dtype dtype,
                                                  int repeats, bool rebind, bool count_syncs,
                                                  bench::MemoryMeter& meter) {
  GuidedSampler sampler(models.base.stage, models.upsampler.stage);
  std::vector<bench::PipelineResult> results;
  for (int64_t batch : batches) {
    GenerationParams params = sampling;
    params.batch_size = batch;
    params.device = device;
    params.dtype = dtype;
    note(fmt::format("pipeline, batch {}", batch));
    meter.reset_peak();
    bench::PipelineResult r;
    r.batch = batch;
    r.timing = bench::time_pipeline(sampler, params, repeats, rebind);
    r.peak_mib = meter.peak_mib();
    if (count_syncs) {
      note(fmt::format("pipeline, batch {}: one more call, counting synchronizations", batch));
      r.syncs = bench::cuda::count_synchronizations([&] { sampler.generate(params); });
    }
    r.images_per_s = static_cast<double>(batch) / r.timing.seconds.median;
    if (models.base.gflop_per_image && models.upsampler.gflop_per_image) {
      const double gflop =
          static_cast<double>(r.timing.base_steps * (params.base.guided ? 2 : 1) * batch) *
              *models.base.gflop_per_image +
          static_cast<double>(r.timing.upsampler_steps * batch) * *models.upsampler.gflop_per_image;
      r.tflops = gflop / (r.timing.seconds.median * 1000.0);
    }
    results.push_back(r);
  }
  return results;
}

void run_bench(BenchOptions& o) {
  const torch::Device device = parse_device(o.device);
  const torch::Dtype dtype = parse_dtype(o.dtype, device);
  const std::vector<int64_t> batches = pipeline_batches(o.batches);
  if (o.repeats < 1) invalid(fmt::format("--repeats {}: give at least 1", o.repeats));
  if (o.threads < 0) invalid(fmt::format("--threads {}: give 0 (all cores) or more", o.threads));
  if (o.threads != 0) set_num_threads(o.threads);
  ensure_threads();
  if (device.is_cuda()) at::globalContext().setBenchmarkCuDNN(true);

  const auto measured = [&](const char* what) {
    return o.only.empty() || std::find(o.only.begin(), o.only.end(), what) != o.only.end();
  };
  const bool base = measured("base");
  const bool upsampler = measured("upsampler");
  const bool pipeline = measured("pipeline");
  if (o.profile > 0 && !base && !upsampler) {
    invalid("--profile profiles the per-step timings; --only leaves out both base and upsampler");
  }
  if (o.rebind && !pipeline) invalid("--rebind applies to the pipeline; --only leaves it out");
  if (o.count_syncs && !pipeline) {
    invalid("--count-syncs counts in the pipeline; --only leaves it out");
  }
  if (o.count_syncs && !device.is_cuda()) invalid("--count-syncs needs --device cuda");
  // The pipeline's sampling flags are checked before minutes of model building; their
  // respacings once the models' process lengths are known.
  GenerationParams sampling = o.stages->apply(GenerationParams{});
  sampling.prompts = {"a red cube on a blue floor"};
  if (pipeline) {
    o.stages->validate(sampling);
  } else if (const std::string flag = o.stages->first_given(); !flag.empty()) {
    invalid(fmt::format("{} sets the pipeline's sampling; --only leaves the pipeline out", flag));
  }
  o.models.need_base = base || pipeline;
  o.models.need_upsampler = upsampler || pipeline;

  bench::MemoryMeter meter(device);
  note(fmt::format("building the models ({})", o.models.preset));
  const bench::BenchModels models = bench::make_models(o.models);
  for (Text2ImUNet model : {models.base.stage.model, models.upsampler.stage.model}) {
    if (!model) continue;
    model->to(device);
    model->set_compute_dtype(dtype);
  }

  bench::BenchReport report;
  report.device = bench::describe_device(device, dtype, at::get_num_threads());
  report.dtype = o.dtype;
  report.threads = at::get_num_threads();
  report.repeats = o.repeats;
  report.base_model = models.base.source;
  report.upsampler_model = models.upsampler.source;
  report.memory_source = meter.source();
  report.environment = bench::glide_environment();
  const std::vector<int64_t> per_step = step_batches(batches);
  if (base) {
    report.base_steps =
        time_steps(models.base, /*guided=*/true, per_step, device, o.repeats, o.profile, meter);
  }
  if (upsampler) {
    report.upsampler_steps = time_steps(models.upsampler, /*guided=*/false, per_step, device,
                                        o.repeats, o.profile, meter);
  }
  if (pipeline) {
    // The reference's defaults (base 100-step guided DDPM, upsampler fast27 DDIM) unless the
    // --base-* / --upsampler-* flags say otherwise.
    o.stages->validate(sampling, models.base.stage.diffusion.diffusion_steps,
                       models.upsampler.stage.diffusion.diffusion_steps);
    report.base_sampler = sampling.base.sampler;
    report.base_guided = sampling.base.guided;
    report.upsampler_sampler = sampling.upsampler.sampler;
    report.pipeline_rebind = o.rebind;
    report.pipelines = time_pipelines(models, sampling, batches, device, dtype, o.repeats, o.rebind,
                                      o.count_syncs, meter);
  }
  for (const auto& s : report.base_steps) report.peak_mib = std::max(report.peak_mib, s.peak_mib);
  for (const auto& s : report.upsampler_steps) {
    report.peak_mib = std::max(report.peak_mib, s.peak_mib);
  }
  for (const auto& p : report.pipelines) report.peak_mib = std::max(report.peak_mib, p.peak_mib);
  fmt::print("{}", o.json ? bench::format_json(report) : bench::format_table(report));
}

}  // namespace

void add_bench_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "bench",
      "Time the networks and the whole text-to-image pipeline: full-size models with random "
      "weights (or --preset tiny, or checkpoints), per-step latency, images/s, peak memory and "
      "TFLOP/s against the device's peak");
  auto o = std::make_shared<BenchOptions>();
  cmd->add_option("--device", o->device, "cpu, cuda or cuda:N")->capture_default_str();
  cmd->add_option("--dtype", o->dtype, "float32, float16 (CUDA only) or bfloat16")
      ->capture_default_str();
  cmd->add_option("--batch", o->batches,
                  "Batch sizes of the pipeline runs, e.g. 1,4,16 (the default); per-step "
                  "timings use these and 1")
      ->delimiter(',');
  cmd->add_option("--repeats", o->repeats, "Timed runs of each measurement (the median is kept)")
      ->capture_default_str();
  cmd->add_option("--only", o->only,
                  "Measure only these: base, upsampler and/or pipeline, e.g. base,upsampler")
      ->delimiter(',')
      ->check(CLI::IsMember({"base", "upsampler", "pipeline"}));
  cmd->add_option("--threads", o->threads, "CPU threads (default: all cores)")
      ->check(CLI::Range(0, 1024));
  cmd->add_flag("--json", o->json, "Print one JSON object instead of the table");
  cmd->add_flag("--profile{15}", o->profile,
                "After each per-step timing, profile 3 more evaluations and list the operations "
                "that took longest (CUDA kernels, or ATen operators on the CPU); --profile=N "
                "keeps N");
  cmd->add_flag("--rebind", o->rebind,
                "Bind each stage's network afresh in every timed pipeline run (on CUDA: warm-up "
                "and graph capture included, as in a one-shot glide generate) instead of "
                "reusing the warm-up's");
  cmd->add_flag("--count-syncs", o->count_syncs,
                "CUDA: after each pipeline timing, run one more call and count the operations "
                "that made the host wait for the device, by the glide function that made them");
  cmd->add_option("--preset", o->models.preset,
                  "Shapes of the random-weight models: official (full size) or tiny (seconds "
                  "on a CPU)")
      ->capture_default_str()
      ->check(CLI::IsMember({"official", "tiny"}));
  cmd->add_option("--model", o->models.base_path,
                  "A base model checkpoint to time instead of random weights");
  cmd->add_option("--upsampler-model", o->models.upsampler_path,
                  "An upsampler checkpoint to time instead of random weights");
  FlagSet stage_flags;
  stage_flags.common = false;  // bench has its own --device and --dtype, and a fixed prompt
  stage_flags.batch = false;
  stage_flags.upsample_switch = false;
  o->stages = std::make_unique<ParamFlags>(cmd, stage_flags);
  cmd->callback([o] { run_bench(*o); });
}

}  // namespace glide::cli
