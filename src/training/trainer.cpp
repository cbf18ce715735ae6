#include "glide/training/trainer.hpp"

#include <ATen/CPUGeneratorImpl.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <torch/nn/utils/clip_grad.h>
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <limits>
#include <nlohmann/json.hpp>

#include "glide/error.hpp"
#include "glide/io/checkpoint.hpp"
#include "glide/io/files.hpp"
#include "glide/models/loading.hpp"
#include "glide/pipeline/stage_model.hpp"
#include "glide/runtime.hpp"
#include "glide/training/losses.hpp"
#include "io/temp_file.hpp"
#include "pipeline/stage.hpp"
#include "training/cpu_autocast.hpp"
#include "training/train_state.hpp"

namespace glide::training {

namespace {

void require(bool ok, const std::string& message) {
  if (!ok) throw Error(Status::invalid_argument, message);
}

uint64_t mix(uint64_t a, uint64_t b) {
  uint64_t z = a * 0x9E3779B97F4A7C15ull + b + 0x632BE59BD9B4E019ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// Parameters of the text encoder: what freeze_text_encoder keeps fixed.
bool is_text_encoder_parameter(const std::string& name) {
  for (const char* prefix : {"transformer.", "token_embedding.", "positional_embedding",
                             "padding_embedding", "final_ln."}) {
    if (name.rfind(prefix, 0) == 0) return true;
  }
  return false;
}

// The model a fine-tuning run starts from. A diffusion it records (glide's exports and model files
// keep one; official .pt files none) must be the recipe's: trained on another schedule or target,
// the weights would be pulled toward predicting something else than what they were made for (a
// v-prediction upsampler fine-tuned on eps), and the export would be labelled with the recipe's.
Text2ImUNet load_init_model(const TrainOptions& o) {
  const std::string source = fmt::format("init_from model '{}'", o.init_from);
  std::error_code ec;
  if (!std::filesystem::exists(o.init_from, ec)) {
    throw Error(Status::not_found, source + " does not exist");
  }
  const Checkpoint checkpoint = load_checkpoint(o.init_from);
  if (checkpoint.metadata.count(kDiffusionConfigMetadataKey) != 0) {
    const DiffusionConfig recorded = checkpoint_diffusion(checkpoint, o.init_from, o.model);
    std::vector<std::string> differences;
    const auto compare = [&](const char* key, const auto& model_value, const auto& recipe_value) {
      if (model_value == recipe_value) return;
      differences.push_back(fmt::format("{} {} (the recipe's: {})", key,
                                        nlohmann::json(model_value).dump(),
                                        nlohmann::json(recipe_value).dump()));
    };
    compare("diffusion_steps", recorded.diffusion_steps, o.diffusion.diffusion_steps);
    compare("noise_schedule", recorded.noise_schedule, o.diffusion.noise_schedule);
    compare("prediction", recorded.prediction, o.diffusion.prediction);
    if (!differences.empty()) {
      throw Error(Status::invalid_argument,
                  fmt::format("{} was trained with {}: fine-tuned on another diffusion it would "
                              "learn another target; give its own in the model config "
                              "(diffusion_steps, noise_schedule, prediction)",
                              source, fmt::join(differences, ", ")));
    }
  }
  return load_model(checkpoint, o.init_from, o.model, official_model_configs(),
                    "the recipe's model config");
}

double learning_rate_at(const TrainOptions& o, int64_t step) {
  if (step < o.warmup_steps) {
    return o.learning_rate * static_cast<double>(step + 1) / static_cast<double>(o.warmup_steps);
  }
  if (o.lr_schedule == "constant") return o.learning_rate;
  // Cosine decay (Loshchilov & Hutter 2017, without restarts) from lr to min_lr_ratio·lr.
  const double span = static_cast<double>(std::max<int64_t>(1, o.steps - o.warmup_steps));
  const double progress = std::min(1.0, static_cast<double>(step - o.warmup_steps) / span);
  const double cosine = 0.5 * (1.0 + std::cos(M_PI * progress));
  return o.learning_rate * (o.min_lr_ratio + (1.0 - o.min_lr_ratio) * cosine);
}

// CPU autocast to bfloat16 for the forward pass while alive (the backward pass follows the
// recorded dtypes). Its cache of bfloat16 weight copies is dropped on exit, as the weights change
// at every step.
class MixedPrecision {
 public:
  explicit MixedPrecision(bool enabled)
      : enabled_(enabled),
        was_enabled_(cpu_autocast_enabled()),
        previous_dtype_(cpu_autocast_dtype()) {
    if (enabled_) set_cpu_autocast(true, at::kBFloat16);
  }
  ~MixedPrecision() {  // restores the caller's autocast state
    if (!enabled_) return;
    set_cpu_autocast(was_enabled_, previous_dtype_);
    at::autocast::clear_cache();
  }
  MixedPrecision(const MixedPrecision&) = delete;
  MixedPrecision& operator=(const MixedPrecision&) = delete;

 private:
  bool enabled_;
  bool was_enabled_;
  at::ScalarType previous_dtype_;
};

struct Batch {
  torch::Tensor images;   // (B, 3, S, S) the denoising target x_0
  torch::Tensor low_res;  // (B, 3, S/f, S/f) super-resolution only
  std::vector<std::string> captions;
};

// Dataset indices of a batch: an endless generator is walked in order; a finite dataset is
// shuffled anew in every epoch, by a permutation seeded by (seed, epoch), drawn once per epoch
// the batch touches.
std::vector<int64_t> batch_indices(const Dataset& data, uint64_t seed, int64_t first,
                                   int64_t count) {
  std::vector<int64_t> indices;
  const int64_t n = data.size();
  torch::Tensor order;
  int64_t order_epoch = -1;
  for (int64_t position = first; position < first + count; ++position) {
    if (n < 0) {
      indices.push_back(position);
      continue;
    }
    const int64_t epoch = position / n;
    if (epoch != order_epoch) {
      auto generator = at::make_generator<at::CPUGeneratorImpl>(mix(seed, 0x5EED0000ull + epoch));
      order = torch::randperm(n, generator, torch::kLong);
      order_epoch = epoch;
    }
    indices.push_back(order[position % n].item<int64_t>());
  }
  return indices;
}

// Uniform t (GLIDE), except that the last round(high_noise_fraction · B) rows of the batch draw
// from the noisiest tenth [0.9·T, T).
torch::Tensor draw_timesteps(const TrainOptions& o, int64_t steps, at::Generator& generator) {
  torch::Tensor t = torch::randint(steps, {o.batch_size}, generator, torch::kLong);
  const auto high = static_cast<int64_t>(std::lround(o.high_noise_fraction * o.batch_size));
  if (high > 0) {
    const int64_t low_end = steps - std::max<int64_t>(1, steps / 10);
    t.slice(0, o.batch_size - high) =
        torch::randint(low_end, steps, {high}, generator, torch::kLong);
  }
  return t;
}

// A Dataset of the caller's own may hand back anything: what the loss assumes is checked here.
void check_example(const Example& example, int64_t index, int64_t image_size) {
  const torch::Tensor& image = example.image;
  const bool fits = image.defined() && image.scalar_type() == torch::kFloat &&
                    image.sizes() == torch::IntArrayRef({3, image_size, image_size});
  if (!fits) {
    throw Error(Status::invalid_argument,
                fmt::format("dataset example {}: the image is {}; expected float32 of shape "
                            "(3, {}, {})",
                            index,
                            image.defined()
                                ? fmt::format("{} of shape {}", c10::toString(image.scalar_type()),
                                              c10::str(image.sizes()))
                                : std::string("undefined"),
                            image_size, image_size));
  }
  const double lo = image.min().item<double>(), hi = image.max().item<double>();
  if (!(lo >= -1.0 && hi <= 1.0)) {  // NaN fails too
    throw Error(Status::invalid_argument,
                fmt::format("dataset example {}: pixel values span [{}, {}]; expected [-1, 1]",
                            index, lo, hi));
  }
}

Batch load_batch(const Trainer::State& s, at::Generator& generator) {
  const TrainOptions& o = s.options;
  Batch batch;
  std::vector<torch::Tensor> images;
  std::vector<torch::Tensor> low_res;
  const torch::Tensor dropped = torch::rand({o.batch_size}, generator) < o.caption_dropout;
  const std::vector<int64_t> indices =
      batch_indices(*s.dataset, o.seed, s.step * o.batch_size, o.batch_size);
  for (int64_t k = 0; k < o.batch_size; ++k) {
    Example example = s.dataset->get(indices[static_cast<size_t>(k)]);
    check_example(example, indices[static_cast<size_t>(k)], s.dataset->image_size());
    torch::Tensor image = example.image;
    if (o.model.super_res) {
      const int64_t f = o.upsample_factor;
      // GLIDE's upsampler sees the base model's output quantized to 8 bits: train on that too.
      torch::Tensor low = torch::avg_pool2d(image.unsqueeze(0), f).squeeze(0);
      low = ((low + 1.0) * 127.5).round().clamp(0, 255) / 127.5 - 1.0;
      if (o.crop_size > 0 && o.crop_size < image.size(1)) {
        const int64_t cells = (image.size(1) - o.crop_size) / f + 1;
        const int64_t y = torch::randint(cells, {1}, generator).item<int64_t>() * f;
        const int64_t x = torch::randint(cells, {1}, generator).item<int64_t>() * f;
        image = image.slice(1, y, y + o.crop_size).slice(2, x, x + o.crop_size);
        low = low.slice(1, y / f, (y + o.crop_size) / f).slice(2, x / f, (x + o.crop_size) / f);
      }
      low_res.push_back(low);
    }
    images.push_back(image);
    batch.captions.push_back(dropped[k].item<bool>() ? std::string() : example.caption);
  }
  batch.images = torch::stack(images);
  if (!low_res.empty()) batch.low_res = torch::stack(low_res);
  return batch;
}

// The first parameter holding an infinity or a NaN, or nullptr. A step can push weights past
// float32's range while its loss was still finite; such weights must never reach a checkpoint.
const NamedTensor* first_non_finite(const std::vector<NamedTensor>& parameters) {
  if (parameters.empty()) return nullptr;
  // One flag per parameter, read back together: a device-to-host sync per parameter would stall
  // a GPU step hundreds of times.
  std::vector<torch::Tensor> finite;
  finite.reserve(parameters.size());
  for (const NamedTensor& p : parameters) finite.push_back(torch::isfinite(p.tensor).all());
  const torch::Tensor flags = torch::stack(finite).cpu();
  if (flags.all().item<bool>()) return nullptr;
  const auto* ok = flags.data_ptr<bool>();
  for (size_t i = 0; i < parameters.size(); ++i) {
    if (!ok[i]) return &parameters[i];
  }
  return nullptr;
}

// A trainer whose weights went non-finite keeps them in memory only; the checkpoint on disk is
// the state to go on from.
void require_not_diverged(const Trainer::State& s, const char* action) {
  if (s.diverged.empty()) return;
  throw Error(Status::invalid_argument,
              fmt::format("cannot {}: training diverged at step {} ({}); make a new Trainer to "
                          "resume from the last checkpoint",
                          action, s.step + 1, s.diverged));
}

[[noreturn]] void diverged(const TrainOptions& o, int64_t step, const std::string& what) {
  const std::string clipping =
      o.grad_clip > 0 ? fmt::format("the gradient clipping norm (grad_clip={})", o.grad_clip)
                      : std::string("enable gradient clipping (grad_clip)");
  throw Error(Status::internal,
              fmt::format("training diverged at step {}: {}; lower the learning rate "
                          "(learning_rate={}) or {} (the last checkpoint is kept)",
                          step, what, o.learning_rate, clipping));
}

}  // namespace

void TrainOptions::validate() const {
  model.validate();
  diffusion.validate();
  require(diffusion.timestep_respacing.empty(),
          fmt::format("diffusion timestep_respacing=\"{}\": training uses every step of the "
                      "process; respace when sampling instead",
                      diffusion.timestep_respacing));
  require(steps > 0, fmt::format("steps={} must be positive", steps));
  require(batch_size > 0 && batch_size <= 4096,
          fmt::format("batch_size={} must be in [1, 4096]", batch_size));
  // The optimizer applies it to float32 weights.
  require(learning_rate > 0 && learning_rate <= std::numeric_limits<float>::max(),
          fmt::format("learning_rate={} must be positive and within float32's range (at most "
                      "3.4e38)",
                      learning_rate));
  require(warmup_steps >= 0, fmt::format("warmup_steps={} must be >= 0", warmup_steps));
  require(lr_schedule == "constant" || lr_schedule == "cosine",
          fmt::format("lr_schedule=\"{}\" is unknown; expected constant or cosine", lr_schedule));
  require(min_lr_ratio >= 0 && min_lr_ratio <= 1,
          fmt::format("min_lr_ratio={} must be in [0, 1]", min_lr_ratio));
  require(weight_decay >= 0 && std::isfinite(weight_decay),
          fmt::format("weight_decay={} must be a finite number >= 0", weight_decay));
  // AdamW scales the weights by 1 - lr * weight_decay each step; at or below 0 they flip or vanish.
  require(learning_rate * weight_decay < 1,
          fmt::format("weight_decay={} with learning_rate={}: their product must be below 1, as "
                      "each step scales the weights by 1 - learning_rate * weight_decay",
                      weight_decay, learning_rate));
  require(ema_decay >= 0 && ema_decay < 1,
          fmt::format("ema_decay={} must be in [0, 1)", ema_decay));
  require(grad_clip >= 0 && std::isfinite(grad_clip),
          fmt::format("grad_clip={} must be a finite number >= 0 (0 disables)", grad_clip));
  require(std::isfinite(x0_weight_cap) && x0_weight_cap >= 1,
          fmt::format("x0_weight_cap={} must be a finite number >= 1 (1: GLIDE's unweighted loss)",
                      x0_weight_cap));
  require(x0_weight_cap == 1 || diffusion.prediction == "epsilon",
          fmt::format("x0_weight_cap={} weights an eps MSE; a v-prediction model's loss (on v) "
                      "already weighs the x0 error at high noise, so it takes 1",
                      x0_weight_cap));
  require(precision == "float32" || precision == "bfloat16",
          fmt::format("precision=\"{}\" is unknown; expected float32 or bfloat16 (mixed "
                      "precision on the CPU)",
                      precision));
  require(high_noise_fraction >= 0 && high_noise_fraction <= 1,
          fmt::format("high_noise_fraction={} must be in [0, 1]", high_noise_fraction));
  require(caption_dropout >= 0 && caption_dropout <= 1,
          fmt::format("caption_dropout={} must be in [0, 1]", caption_dropout));
  require(checkpoint_every > 0,
          fmt::format("checkpoint_every={} must be positive", checkpoint_every));
  require(!checkpoint_path.empty(), "checkpoint_path is required: training always checkpoints");
  require(io::lowercase_extension(checkpoint_path) == ".safetensors",
          fmt::format("checkpoint_path='{}': checkpoints are written as safetensors files; give "
                      "a name ending in .safetensors",
                      checkpoint_path));
  require(!io::names_only_an_extension(checkpoint_path),
          fmt::format("checkpoint_path='{}' is only an extension, which would make a hidden "
                      "file; give a name before it, such as run.safetensors",
                      checkpoint_path));
  require(!model.inpaint,
          "model.inpaint=true: glide trains text-to-image base and upsampler models; inpainting "
          "models (which also read a masked image) are not trainable yet");
  if (model.super_res) {
    require(upsample_factor >= 1 && model.image_size % upsample_factor == 0,
            fmt::format("upsample_factor={} must divide image_size={}", upsample_factor,
                        model.image_size));
    const int64_t multiple =
        upsample_factor * (int64_t{1} << (model.channel_multipliers().size() - 1));
    require(crop_size == 0 || (crop_size <= model.image_size && crop_size % multiple == 0),
            fmt::format("crop_size={} must be 0 (no crops) or at most image_size={} and a "
                        "multiple of {} (upsample_factor × the UNet's downsampling)",
                        crop_size, model.image_size, multiple));
  } else {
    require(crop_size == 0,
            fmt::format("crop_size={} applies to super-resolution models only", crop_size));
    // Recorded in the recipe either way: a base run started with another value could never be
    // resumed where the option is refused for base models (the command line).
    require(upsample_factor == TrainOptions{}.upsample_factor,
            fmt::format("upsample_factor={} applies to super-resolution models only (a base "
                        "model keeps the default, {})",
                        upsample_factor, TrainOptions{}.upsample_factor));
  }
}

std::string TrainOptions::recipe_json() const {
  nlohmann::ordered_json j;
  j["model"] = nlohmann::ordered_json::parse(model.to_json());
  j["diffusion"] = nlohmann::ordered_json::parse(diffusion_config_to_json(diffusion));
  j["batch_size"] = batch_size;
  j["learning_rate"] = learning_rate;
  j["warmup_steps"] = warmup_steps;
  j["lr_schedule"] = lr_schedule;
  j["min_lr_ratio"] = min_lr_ratio;
  j["weight_decay"] = weight_decay;
  j["ema_decay"] = ema_decay;
  j["grad_clip"] = grad_clip;
  j["caption_dropout"] = caption_dropout;
  j["freeze_text_encoder"] = freeze_text_encoder;
  // Only when set, so checkpoints written before the option existed still resume.
  if (x0_weight_cap != 1.0) j["x0_weight_cap"] = x0_weight_cap;
  if (high_noise_fraction != 0.0) j["high_noise_fraction"] = high_noise_fraction;
  if (precision != "float32") j["precision"] = precision;
  j["upsample_factor"] = upsample_factor;
  j["crop_size"] = crop_size;
  j["seed"] = seed;
  // A cosine schedule depends on the run's length, so it is part of the recipe.
  if (lr_schedule == "cosine") j["steps"] = steps;
  return j.dump();
}

Trainer::Trainer(TrainOptions options, std::shared_ptr<const Dataset> dataset)
    : state_(std::make_unique<State>()) {
  options.validate();
  if (!dataset) throw Error(Status::invalid_argument, "the trainer needs a dataset");
  const int64_t expected = options.model.image_size;
  if (dataset->image_size() != expected) {
    throw Error(Status::invalid_argument,
                fmt::format("dataset images are {0}x{0}; the model is trained on {1}x{1}",
                            dataset->image_size(), expected));
  }
  // The checkpoint is written every checkpoint_every steps: a path that cannot take it (a
  // folder, a missing folder) is refused now, not after the first steps' work.
  io::check_output_file(options.checkpoint_path, /*overwrite=*/true);
  State& s = *state_;
  s.lock = std::make_unique<io::detail::FileLock>(options.checkpoint_path, "training");
  // With the lock held, a '<checkpoint>.tmp-XXXXXX' can only be from a trainer killed mid-save;
  // without one (a file system that keeps no locks) it may be a live trainer's.
  if (s.lock->held()) io::detail::remove_stale_temp_files(options.checkpoint_path);
  ensure_threads();
  s.options = std::move(options);
  s.dataset = std::move(dataset);
  s.diffusion = GaussianDiffusion::from_config(s.options.diffusion);

  torch::manual_seed(s.options.seed);  // the initial weights
  if (!s.options.init_from.empty()) {
    s.model = load_init_model(s.options);
  } else {
    s.model = Text2ImUNet(s.options.model);
  }
  s.model->train();
  std::vector<NamedTensor> trainable;
  for (const auto& p : s.model->named_parameters()) {
    const bool frozen = s.options.freeze_text_encoder && is_text_encoder_parameter(p.key());
    p.value().set_requires_grad(!frozen);
    s.parameters.push_back({p.key(), p.value()});
    if (!frozen) trainable.push_back({p.key(), p.value()});
  }
  s.optimizer = std::make_unique<AdamW>(std::move(trainable),
                                        AdamW::Options{0.9, 0.999, 1e-8, s.options.weight_decay});
  s.ema = std::make_unique<Ema>(s.parameters, s.options.ema_decay);
  if (std::filesystem::exists(s.options.checkpoint_path)) read_checkpoint(s);
}

Trainer::~Trainer() = default;

TrainResult Trainer::run(const TrainCallback& progress, const std::atomic<bool>* stop) {
  State& s = *state_;
  require_not_diverged(s, "train on");
  const TrainOptions& o = s.options;
  TrainResult result;
  result.resumed = s.step > 0;
  using clock = std::chrono::steady_clock;
  while (s.step < o.steps) {
    const auto started = clock::now();
    const uint64_t step_seed = mix(o.seed, static_cast<uint64_t>(s.step));
    torch::manual_seed(step_seed);  // dropout inside the model
    at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(step_seed ^ 0xA5A5A5A5ull);

    const Batch batch = load_batch(s, generator);
    const torch::Tensor t = draw_timesteps(o, s.diffusion.num_timesteps(), generator);
    const torch::Tensor noise = torch::randn(batch.images.sizes(), generator);
    const torch::Tensor x_t = s.diffusion.q_sample(batch.images, t, noise);

    Conditioning cond;
    cond.low_res = batch.low_res;
    torch::Tensor out;
    {
      const MixedPrecision autocast(o.precision == "bfloat16");
      const TextEmbedding text = pipeline::encode_prompts(s.model, batch.captions, torch::kCPU);
      out = s.model->forward(x_t, t, text, cond).to(torch::kFloat);
    }
    const DiffusionLoss losses = diffusion_loss(s.diffusion, out, batch.images, x_t, t, noise,
                                                o.diffusion.prediction == "v");
    const torch::Tensor loss =
        o.x0_weight_cap == 1.0
            ? losses.loss.mean()
            : (losses.mse * x0_error_weight(s.diffusion, t, o.x0_weight_cap) + losses.vb).mean();
    const double loss_value = loss.item<double>();
    if (!std::isfinite(loss_value))
      diverged(o, s.step + 1, fmt::format("the loss is {}", loss_value));
    s.optimizer->zero_grad();
    loss.backward();
    if (o.grad_clip > 0) {
      std::vector<torch::Tensor> grads;
      for (const auto& p : s.optimizer->params()) grads.push_back(p.tensor);
      torch::nn::utils::clip_grad_norm_(grads, o.grad_clip);
    }
    const double lr = learning_rate_at(o, s.step);
    s.optimizer->step(lr);
    if (const NamedTensor* bad = first_non_finite(s.parameters)) {
      s.diverged = fmt::format("the weights of {} are no longer finite", bad->name);
      diverged(o, s.step + 1, s.diverged);
    }
    s.ema->update(s.parameters, s.step);
    ++s.step;
    s.losses.push_back(loss_value);

    const bool scheduled = s.step % o.checkpoint_every == 0 || s.step == o.steps;
    if (scheduled) write_checkpoint(s);
    if (progress) {
      TrainProgress p;
      p.step = s.step;
      p.total = o.steps;
      p.loss = loss_value;
      p.mse = losses.mse.mean().item<double>();
      p.vb = losses.vb.mean().item<double>();
      p.learning_rate = lr;
      const double seconds = std::chrono::duration<double>(clock::now() - started).count();
      p.images_per_s = static_cast<double>(o.batch_size) / std::max(seconds, 1e-9);
      p.checkpoint_saved = scheduled;
      progress(p);
    }
    if (stop != nullptr && stop->load()) {
      if (!scheduled) write_checkpoint(s);
      result.interrupted = true;
      break;
    }
  }
  result.step = s.step;
  return result;
}

void Trainer::save_checkpoint() const {
  require_not_diverged(*state_, "save a checkpoint");
  write_checkpoint(*state_);
}

void Trainer::export_model(const std::string& path, torch::Dtype dtype, bool overwrite) const {
  const State& s = *state_;
  require_not_diverged(s, "export the model");
  StateDict dict;
  for (const auto& average : s.ema->averages()) {
    // float16 overflows where float32 weights grew past 65504: refused, not written as inf.
    dict.insert(average.name, io::cast_in_range(average.name, average.tensor.detach(), dtype));
  }
  for (const auto& buffer : s.model->named_buffers()) {
    dict.insert(buffer.key(), buffer.value().detach());
  }
  const std::map<std::string, std::string> metadata = {
      {kModelConfigMetadataKey, s.options.model.to_json()},
      {kDiffusionConfigMetadataKey, diffusion_config_to_json(s.options.diffusion)},
      {"glide.trained_steps", std::to_string(s.step)},
  };
  io::save_safetensors(dict, path, metadata, overwrite);
}

int64_t Trainer::step() const {
  return state_->step;
}
bool Trainer::holds_checkpoint_lock() const {
  return state_->lock->held();
}
const TrainOptions& Trainer::options() const {
  return state_->options;
}
const std::vector<double>& Trainer::loss_history() const {
  return state_->losses;
}
Text2ImUNet Trainer::model() const {
  return state_->model;
}

}  // namespace glide::training
