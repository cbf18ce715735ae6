// The C ABI's generation entry points: parameter structs, the pipeline handle and the images it
// returns, over glide::GuidedSampler.
#include <algorithm>
#include <cstddef>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "capi_images.hpp"
#include "capi_internal.hpp"
#include "capi_pipeline.hpp"
#include "capi_records.hpp"
#include "glide.h"
#include "glide/device_and_dtype.hpp"
#include "glide/error.hpp"
#include "glide/models/model_options.hpp"
#include "glide/pipeline/default_models.hpp"
#include "glide/pipeline/generation_params.hpp"
#include "glide/pipeline/guided_sampler.hpp"
#include "glide/runtime.hpp"
#include "pipeline/image_record.hpp"

namespace glide::capi {
void to_generation_params(const glide_generate_params& in, GenerationParams& out);
}

namespace {

// Counts a call on a pipeline for the call's lifetime, so that glide_pipeline_free from its
// progress callback frees the pipeline when the call has returned rather than under it.
class PipelineCall {
 public:
  explicit PipelineCall(glide_pipeline* pipeline) : pipeline_(pipeline) {
    if (pipeline_) pipeline_->calls_and_free.fetch_add(1);
  }
  ~PipelineCall() {
    if (pipeline_ &&
        pipeline_->calls_and_free.fetch_sub(1) == (glide_pipeline::kFreeRequested | 1u)) {
      delete pipeline_;  // freed during this call, which was the last one running
    }
  }
  PipelineCall(const PipelineCall&) = delete;
  PipelineCall& operator=(const PipelineCall&) = delete;

 private:
  glide_pipeline* pipeline_;
};

using glide::capi::check_images;
using glide::capi::fail;
using glide::capi::guarded;
using glide::capi::require_arg;

// sizes[v]: the size of version v. An older version's size is the offset of the first field the
// next version appended, written out here, never sizeof.
constexpr size_t kPipelineParamsSizes[] = {0, sizeof(glide_pipeline_params)};
constexpr size_t kGenerateParamsSizes[] = {0, offsetof(glide_generate_params, save_path),
                                           sizeof(glide_generate_params)};

// Mirrors glide::StageParams::base_defaults() and upsampler_defaults().
glide_stage_params base_stage_defaults() {
  glide_stage_params s{};
  s.sampler = "ddpm";
  s.respacing = "100";
  s.eta = -1.0;  // the sampler's default
  s.guided = true;
  s.guidance_scale = 3.0;
  s.guidance_rescale = 0.0;
  s.thresholding = "clip";
  s.dynamic_percentile = 0.995;
  s.temperature = 1.0;
  return s;
}

glide_stage_params upsampler_stage_defaults() {
  glide_stage_params s = base_stage_defaults();
  s.sampler = "ddim";
  s.respacing = "fast27";
  s.guided = false;
  s.temperature = 0.997;
  return s;
}

void fill_pipeline_defaults(glide_pipeline_params* p) {
  std::memset(static_cast<void*>(p), 0, sizeof *p);
  p->version = GLIDE_PIPELINE_PARAMS_VERSION;
  p->base_config = nullptr;
  p->upsampler_config = nullptr;
  p->device = "cpu";
  p->dtype = "float32";
  p->num_threads = 0;
}

void fill_generate_defaults(glide_generate_params* p) {
  std::memset(static_cast<void*>(p), 0, sizeof *p);
  p->version = GLIDE_GENERATE_PARAMS_VERSION;
  p->prompts = nullptr;
  p->prompt_count = 0;
  p->batch_size = 1;
  p->negative_prompt = nullptr;
  p->base = base_stage_defaults();
  p->upsampler = upsampler_stage_defaults();
  p->upsample = true;
  p->seed = 0;
  p->device = nullptr;
  p->dtype = nullptr;
  p->progress = nullptr;
  p->progress_user_data = nullptr;
  p->save_path = nullptr;
  p->overwrite = false;
}

// Writes the defaults of `version` into a caller's struct, touching only that version's bytes.
template <typename T, size_t N>
void init_versioned(T* out, uint32_t version, const size_t (&sizes)[N], void (*defaults)(T*),
                    const char* name) {
  const size_t n = glide::capi::struct_size(version, sizes, name);
  T full;
  defaults(&full);
  std::memcpy(static_cast<void*>(out), &full, n);
  out->version = version;
}

glide_pipeline_params read_pipeline_params(const glide_pipeline_params* in) {
  require_arg(in, "params");
  glide_pipeline_params p;
  fill_pipeline_defaults(&p);
  glide::capi::read_versioned(*in, kPipelineParamsSizes, "params", &p);
  return p;
}

glide_generate_params read_generate_params(const glide_generate_params* in) {
  require_arg(in, "params");
  glide_generate_params p;
  fill_generate_defaults(&p);
  glide::capi::read_versioned(*in, kGenerateParamsSizes, "params", &p);
  return p;
}

void require_field(const char* value, const std::string& field) {
  if (!value) fail(GLIDE_ERROR_INVALID_ARGUMENT, "params->" + field + " is NULL");
}

void check_stage(const glide_stage_params& s, const std::string& stage) {
  require_field(s.sampler, stage + ".sampler");
  require_field(s.respacing, stage + ".respacing");
  require_field(s.thresholding, stage + ".thresholding");
}

// What C can check without the pipeline: versions, NULL pointers, counts.
void check_generate_params(const glide_generate_params& p) {
  if (p.prompt_count == 0) {
    fail(GLIDE_ERROR_INVALID_ARGUMENT, "params->prompt_count is 0; give at least one prompt");
  }
  if (!p.prompts) fail(GLIDE_ERROR_INVALID_ARGUMENT, "params->prompts is NULL");
  constexpr int64_t kMaxBatch = glide::GenerationParams::kMaxBatchSize;
  if (p.batch_size < 1 || p.batch_size > kMaxBatch) {
    fail(GLIDE_ERROR_INVALID_ARGUMENT, "params->batch_size is " + std::to_string(p.batch_size) +
                                           "; it must lie in [1, " + std::to_string(kMaxBatch) +
                                           "]");
  }
  // Compared before any prompt is read: the array holds prompt_count pointers only if the count
  // is right, and reading past it would crash.
  if (p.prompt_count != 1 && p.prompt_count != static_cast<size_t>(p.batch_size)) {
    fail(GLIDE_ERROR_INVALID_ARGUMENT,
         "params->prompt_count is " + std::to_string(p.prompt_count) +
             " but params->batch_size is " + std::to_string(p.batch_size) +
             "; give one prompt per image (prompt_count = batch_size) or one for all");
  }
  for (size_t i = 0; i < p.prompt_count; ++i) {
    require_field(p.prompts[i], "prompts[" + std::to_string(i) + "]");
  }
  check_stage(p.base, "base");
  check_stage(p.upsampler, "upsampler");
  if (p.save_path) glide::capi::require_png_name(p.save_path, "params->save_path");
  glide::GenerationParams params;
  glide::capi::to_generation_params(p, params);
  params.validate();
}

// One generation call's checked arguments.
struct Call {
  glide::GenerationParams params;
  glide::ProgressCallback progress;
  const char* save_path = nullptr;
  bool overwrite = false;
  std::optional<glide::capi::SavePlan> save;  // set by plan_save_path
};

// Checks a call's arguments: its parameters, with the pipeline's device and dtype where the call
// leaves them NULL, and the C progress callback wrapped. Upsampling reads neither
// params->batch_size (`batch_size`, one per input image, replaces it) nor params->base
// (`reads_base`), so a base stage left unset or invalid there is not refused.
Call prepare_call(glide_pipeline* pipeline, const glide_generate_params* params,
                  glide_images** images, std::optional<int64_t> batch_size = std::nullopt,
                  bool reads_base = true) {
  require_arg(pipeline, "pipeline");
  require_arg(images, "images");
  glide_generate_params p = read_generate_params(params);
  if (batch_size) p.batch_size = *batch_size;
  if (!reads_base) p.base = base_stage_defaults();
  check_generate_params(p);
  Call call;
  call.params.device = pipeline->device;
  call.params.dtype = pipeline->dtype;
  glide::capi::to_generation_params(p, call.params);
  call.params.validate();
  if (p.progress) {
    call.progress = [callback = p.progress,
                     user_data = p.progress_user_data](const glide::Progress& s) {
      return callback(s.stage.c_str(), s.step, s.total, user_data);
    };
  }
  call.save_path = p.save_path;
  call.overwrite = p.overwrite;
  return call;
}

// Settles what params->save_path writes, once every other argument is checked: before sampling,
// so that minutes of it never end in a refusal.
void plan_save_path(glide_pipeline* pipeline, Call& call, const char* command, bool base_stage,
                    bool upsampler_stage) {
  call.save = glide::capi::plan_save(
      pipeline->model_files, call.save_path, call.overwrite,
      glide::ImageRecord{command, call.params, base_stage, upsampler_stage, {}});
}

// Hands the images made to the caller, then writes the files params->save_path asked for.
void deliver(const Call& call, const torch::Tensor& made, glide_images** images) {
  *images = glide::capi::images_from_tensor(made);
  if (!call.save) return;
  const glide_images& out = **images;
  glide::capi::write_planned(
      *call.save, torch::from_blob(out.pixels, {out.count, out.height, out.width, out.channels},
                                   torch::kUInt8));
}

}  // namespace

namespace glide::capi {

// The C parameters as the C++ pipeline's (which the caller default-constructed). Fields the C
// struct leaves NULL keep out's values.
void to_stage_params(const glide_stage_params& in, StageParams& out) {
  out.sampler = in.sampler;
  out.respacing = in.respacing;
  out.eta = in.eta < 0 ? std::nullopt : std::optional<double>(in.eta);
  out.guided = in.guided;
  out.guidance_scale = in.guidance_scale;
  out.guidance_rescale = in.guidance_rescale;
  out.thresholding = in.thresholding;
  out.dynamic_percentile = in.dynamic_percentile;
  out.temperature = in.temperature;
}

void to_generation_params(const glide_generate_params& in, GenerationParams& out) {
  out.prompts.assign(in.prompts, in.prompts + in.prompt_count);
  out.batch_size = in.batch_size;
  out.negative_prompt = in.negative_prompt ? in.negative_prompt : "";
  to_stage_params(in.base, out.base);
  to_stage_params(in.upsampler, out.upsampler);
  out.upsample = in.upsample;
  out.seed = in.seed;
  if (in.device) out.device = parse_device(in.device, "params->device");
  if (in.dtype) out.dtype = parse_dtype(in.dtype, "params->dtype");
}

}  // namespace glide::capi

extern "C" {

int glide_pipeline_params_init(glide_pipeline_params* params, uint32_t version) {
  return guarded(__func__, [&] {
    require_arg(params, "params");
    init_versioned(params, version, kPipelineParamsSizes, fill_pipeline_defaults, "params");
  });
}

int glide_generate_params_init(glide_generate_params* params, uint32_t version) {
  return guarded(__func__, [&] {
    require_arg(params, "params");
    init_versioned(params, version, kGenerateParamsSizes, fill_generate_defaults, "params");
  });
}

int glide_generate_params_validate(const glide_generate_params* params) {
  return guarded(__func__, [&] { check_generate_params(read_generate_params(params)); });
}

int glide_pipeline_create(const glide_pipeline_params* params, glide_pipeline** pipeline) {
  if (pipeline) *pipeline = nullptr;
  return guarded(__func__, [&] {
    const glide_pipeline_params p = read_pipeline_params(params);
    require_arg(pipeline, "pipeline");
    glide_pipeline_params chosen = p;
    std::string default_base, default_upsampler;
    if (!p.base_checkpoint && !p.upsampler_checkpoint) {
      // No model named: the shipped shapes pair, each with the config its file carries.
      const glide::DefaultModelPaths defaults = glide::default_model_paths();
      default_base = defaults.base;
      default_upsampler = defaults.upsampler;
      chosen.base_checkpoint = default_base.c_str();
      chosen.upsampler_checkpoint = default_upsampler.c_str();
    }
    require_field(p.device, "device");
    require_field(p.dtype, "dtype");
    if (p.num_threads < 0 || p.num_threads > glide::kMaxThreads) {
      fail(GLIDE_ERROR_INVALID_ARGUMENT,
           "params->num_threads is " + std::to_string(p.num_threads) +
               "; use 0 to keep the process's count (one per core unless set before) or 1 to " +
               std::to_string(glide::kMaxThreads));
    }
    // The process's default (one thread per core), so that the loading below uses every core;
    // an explicit count is set only once the pipeline is made.
    if (p.num_threads == 0) glide::ensure_threads();
    auto handle = std::make_unique<glide_pipeline>();
    handle->device = glide::parse_device(p.device, "params->device");
    handle->dtype = glide::parse_dtype(p.dtype, "params->dtype");
    // Refused here rather than at the first generation.
    glide::check_device_and_dtype(handle->device, handle->dtype, "params->");
    // A JSON config's text is also its diffusion options (diffusion_steps, noise_schedule,
    // prediction, laid over the checkpoint's as in Python); a preset's is none. Both stages'
    // configs are checked before the slow loading.
    const auto diffusion_options = [](const char* config) {
      return config && glide::is_json_object_text(config) ? std::string(config) : std::string();
    };
    const auto model_config = [](const char* config, const char* field) {
      return glide::model_config_from_text(config ? config : "", std::string("params->") + field);
    };
    auto base_model = model_config(p.base_config, "base_config");
    auto upsampler_model = model_config(p.upsampler_config, "upsampler_config");
    glide::diffusion_options_over(diffusion_options(p.base_config), {}, "params->base_config");
    glide::diffusion_options_over(diffusion_options(p.upsampler_config), {},
                                  "params->upsampler_config");
    const auto load = [&](const char* role, const char* path,
                          std::optional<glide::ModelConfig> model, const char* config,
                          const char* field) {
      if (!path) return glide::StageModel{};
      glide::capi::LoadedModelFile file;
      file.role = role;
      file.path = std::filesystem::absolute(path).lexically_normal().string();
      file.identity = glide::capi::file_identity(file.path);  // before the file is read
      glide::StageModel stage = glide::load_stage_model_with_options(
          path, std::move(model), diffusion_options(config), std::string("params->") + field);
      if (config) file.config = glide::stage_config_json(stage);
      handle->model_files.models.push_back(std::move(file));
      stage.model->to(handle->device);
      stage.model->set_compute_dtype(handle->dtype);
      return stage;
    };
    handle->sampler = std::make_unique<glide::GuidedSampler>(
        load("model", chosen.base_checkpoint, std::move(base_model), p.base_config, "base_config"),
        load("upsampler_model", chosen.upsampler_checkpoint, std::move(upsampler_model),
             p.upsampler_config, "upsampler_config"));
    // Process-wide (LibTorch has one CPU thread pool): set only once nothing can fail.
    if (p.num_threads > 0) glide::set_num_threads(p.num_threads);
    *pipeline = handle.release();
  });
}

void glide_pipeline_free(glide_pipeline* pipeline) {
  if (!pipeline) return;
  // With a call running, PipelineCall deletes it when the last one returns.
  if (pipeline->calls_and_free.fetch_or(glide_pipeline::kFreeRequested) == 0) delete pipeline;
}

int glide_pipeline_release_cache(glide_pipeline* pipeline) {
  const PipelineCall running(pipeline);
  return guarded(__func__, [&] {
    require_arg(pipeline, "pipeline");
    pipeline->sampler->release_cached_networks();
  });
}

int glide_generate(glide_pipeline* pipeline, const glide_generate_params* params,
                   glide_images** images) {
  if (images) *images = nullptr;
  const PipelineCall running(pipeline);
  return guarded(__func__, [&] {
    Call call = prepare_call(pipeline, params, images);
    const glide::GenerationParams& p = call.params;
    plan_save_path(pipeline, call, "generate", /*base_stage=*/true, p.upsample);
    const auto result = pipeline->sampler->generate(p, call.progress);
    deliver(call, p.upsample ? result.upsampled : result.base, images);
  });
}

int glide_upsample(glide_pipeline* pipeline, const glide_generate_params* params,
                   const glide_images* input, glide_images** images) {
  if (images) *images = nullptr;
  const PipelineCall running(pipeline);
  return guarded(__func__, [&] {
    check_images(input, "input", {3});
    // The batch is the inputs': say so in terms of them, not of a batch_size the call ignores.
    const glide_generate_params given = read_generate_params(params);
    if (input->count > glide::GenerationParams::kMaxBatchSize) {
      fail(GLIDE_ERROR_INVALID_ARGUMENT,
           "input holds " + std::to_string(input->count) + " images; one call upsamples at most " +
               std::to_string(glide::GenerationParams::kMaxBatchSize));
    }
    if (given.prompt_count > 1 && given.prompt_count != static_cast<size_t>(input->count)) {
      fail(GLIDE_ERROR_INVALID_ARGUMENT,
           "params->prompt_count is " + std::to_string(given.prompt_count) + " for " +
               std::to_string(input->count) +
               " input images; give one prompt per input image or one for all");
    }
    // Refused before the copy of what may be gigabytes of pixels.
    constexpr int64_t kMaxSide = glide::GuidedSampler::kMaxUpsampleInputSide;
    if (std::max(input->height, input->width) > kMaxSide) {
      fail(GLIDE_ERROR_INVALID_ARGUMENT,
           "input is " + std::to_string(input->height) + "x" + std::to_string(input->width) +
               " (H x W); an upsampler takes low-resolution images of at most " +
               std::to_string(kMaxSide) + " pixels a side: resize them first");
    }
    Call call = prepare_call(pipeline, params, images, input->count, /*reads_base=*/false);
    plan_save_path(pipeline, call, "upsample", /*base_stage=*/false, /*upsampler_stage=*/true);
    deliver(call,
            pipeline->sampler->upsample(glide::capi::tensor_from_images(*input), call.params,
                                        call.progress),
            images);
  });
}

int glide_inpaint(glide_pipeline* pipeline, const glide_generate_params* params,
                  const glide_images* image, const glide_images* mask, glide_images** images) {
  if (images) *images = nullptr;
  const PipelineCall running(pipeline);
  return guarded(__func__, [&] {
    Call call = prepare_call(pipeline, params, images);
    const glide::GenerationParams& p = call.params;
    check_images(image, "image", {3});
    check_images(mask, "mask", {1});
    // Checked before the pixels are copied: a count larger than the caller's buffer holds would
    // read past it.
    for (const auto& [images_in, name] : {std::pair{image, "image"}, std::pair{mask, "mask"}}) {
      if (images_in->count != 1 && images_in->count != p.batch_size) {
        fail(GLIDE_ERROR_INVALID_ARGUMENT,
             std::string(name) + "->count is " + std::to_string(images_in->count) +
                 " but params->batch_size is " + std::to_string(p.batch_size) + "; give one " +
                 name + " per result (count = batch_size) or one for all");
      }
    }
    plan_save_path(pipeline, call, "inpaint", /*base_stage=*/true, p.upsample);
    const auto result = pipeline->sampler->inpaint(
        glide::capi::tensor_from_images(*image), glide::capi::tensor_from_images(*mask).squeeze(-1),
        p, call.progress);
    deliver(call, p.upsample ? result.upsampled : result.base, images);
  });
}

void glide_images_free(glide_images* images) {
  if (!images) return;
  delete[] images->pixels;
  delete images;
}

}  // extern "C"
