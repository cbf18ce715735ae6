// The trainer on a tiny model: the loss falls, a resumed run equals an uninterrupted one, bad
// checkpoints are refused and left alone, and the exported model loads for sampling.
#include <atomic>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>

#include "glide/image/png.hpp"
#include "glide/io/checkpoint.hpp"
#include "glide/models/loading.hpp"
#include "glide/pipeline/guided_sampler.hpp"
#include "glide/pipeline/stage_model.hpp"
#include "glide/training/shapes.hpp"
#include "glide/training/train_job.hpp"
#include "glide/training/trainer.hpp"
#include "support/catch_torch.hpp"
#include "support/files.hpp"
#include "support/require_error.hpp"
#include "support/temp_dir.hpp"
#include "training/cpu_autocast.hpp"

using namespace glide;
using glide::test::require_error;

namespace {

training::TrainOptions tiny_options(const std::string& checkpoint) {
  training::TrainOptions o;
  o.model.image_size = 8;
  o.model.num_channels = 32;
  o.model.num_res_blocks = 1;
  o.model.channel_mult = "1";
  o.model.attention_resolutions = "8";
  o.model.num_head_channels = 32;
  o.model.dropout = 0.1;  // exercises the per-step seeding of dropout
  o.model.text_ctx = 12;
  o.model.xf_width = 32;
  o.model.xf_layers = 1;
  o.model.xf_heads = 1;
  o.diffusion = default_diffusion_config(o.model);
  o.batch_size = 8;
  o.learning_rate = 1e-3;
  o.warmup_steps = 2;
  o.steps = 6;
  o.checkpoint_every = 100;
  o.checkpoint_path = checkpoint;
  o.seed = 5;
  return o;
}

std::shared_ptr<const training::Dataset> tiny_shapes() {
  return std::make_shared<training::ShapesDataset>(8, 0);
}

void require_same_parameters(training::Trainer& a, training::Trainer& b) {
  const auto pa = a.model()->named_parameters();
  const auto pb = b.model()->named_parameters();
  REQUIRE(pa.size() == pb.size());
  for (size_t i = 0; i < pa.size(); ++i) {
    INFO(pa[i].key());
    REQUIRE(torch::equal(pa[i].value(), pb[i].value()));
  }
}

// The mean loss of the last 10 steps is below `ratio` times that of the first 10.
void check_loss_fell(const std::vector<double>& losses, double ratio = 0.6) {
  REQUIRE(losses.size() >= 20);
  double first = 0, last = 0;
  for (size_t i = 0; i < 10; ++i) {
    first += losses[i] / 10;
    last += losses[losses.size() - 1 - i] / 10;
  }
  INFO("mean loss of the first 10 steps " << first << ", of the last 10 " << last);
  CHECK(last < ratio * first);
}

}  // namespace

TEST_CASE("training on shapes lowers the loss", "[training][trainer]") {
  glide::test::ScratchDir dir;
  auto options = tiny_options(dir.file("run.safetensors"));
  options.steps = 80;
  options.model.dropout = 0;
  training::Trainer trainer(options, tiny_shapes());
  std::vector<double> losses;
  trainer.run([&](const training::TrainProgress& p) { losses.push_back(p.loss); });
  REQUIRE(losses.size() == 80);
  CHECK(trainer.loss_history() == losses);
  check_loss_fell(losses);
}

TEST_CASE("bfloat16 mixed precision trains float32 weights close to float32 training's",
          "[training][trainer]") {
  glide::test::ScratchDir dir;
  auto fp32_options = tiny_options(dir.file("fp32.safetensors"));
  fp32_options.steps = 1;
  fp32_options.model.dropout = 0;
  auto bf16_options = fp32_options;
  bf16_options.checkpoint_path = dir.file("bf16.safetensors");
  bf16_options.precision = "bfloat16";
  {  // the trainers hold their checkpoints (a lock) until they go
    training::Trainer fp32(fp32_options, tiny_shapes());
    training::Trainer bf16(bf16_options, tiny_shapes());
    // Same initial weights (same seed); one step's update differs by bfloat16 rounding only.
    const auto before = fp32.model()->named_parameters().values();
    std::vector<torch::Tensor> initial;
    for (const auto& p : before) initial.push_back(p.detach().clone());
    fp32.run();
    bf16.run();
    CHECK_FALSE(training::cpu_autocast_enabled());  // nothing leaks into later inference
    const auto a = fp32.model()->named_parameters();
    const auto b = bf16.model()->named_parameters();
    double update = 0, difference = 0;
    for (size_t i = 0; i < a.size(); ++i) {
      REQUIRE(b[i].value().scalar_type() == torch::kFloat);
      update += (a[i].value() - initial[i]).pow(2).sum().item<double>();
      difference += (a[i].value() - b[i].value()).pow(2).sum().item<double>();
    }
    INFO("|update| " << std::sqrt(update) << ", |fp32 - bf16| " << std::sqrt(difference));
    CHECK(difference > 0);  // the bfloat16 path really ran
    // ...and moved the weights as float32 did (measured: 5% of the update; Adam's first step
    // is nearly sign(gradient) · lr, so a few rounding-flipped signs dominate the difference).
    CHECK(difference < 0.2 * 0.2 * update);
  }

  // The loss falls as in float32, and precision is part of the recipe.
  auto longer = bf16_options;
  longer.checkpoint_path = dir.file("bf16-long.safetensors");
  longer.steps = 80;
  training::Trainer trainer(longer, tiny_shapes());
  trainer.run();
  const auto& losses = trainer.loss_history();
  check_loss_fell(losses);
  auto resumed_as_fp32 = fp32_options;
  resumed_as_fp32.checkpoint_path = bf16_options.checkpoint_path;
  require_error([&] { training::Trainer(resumed_as_fp32, tiny_shapes()); }, "precision",
                Status::invalid_argument);
}

TEST_CASE("a run stopped and resumed from its checkpoint equals an uninterrupted run",
          "[training][trainer]") {
  glide::test::ScratchDir dir;
  training::Trainer whole(tiny_options(dir.file("whole.safetensors")), tiny_shapes());
  REQUIRE(whole.run().step == 6);

  const std::string path = dir.file("parts.safetensors");
  {
    training::Trainer first(tiny_options(path), tiny_shapes());
    std::atomic<bool> stop{false};
    const auto result = first.run(
        [&](const training::TrainProgress& p) {
          if (p.step == 3) stop = true;
        },
        &stop);
    CHECK(result.interrupted);
    CHECK(result.step == 3);
    REQUIRE(std::filesystem::exists(path));
  }
  training::Trainer resumed(tiny_options(path), tiny_shapes());
  CHECK(resumed.step() == 3);
  const auto result = resumed.run();
  CHECK(result.resumed);
  CHECK(result.step == 6);
  require_same_parameters(whole, resumed);
  CHECK(resumed.loss_history() == whole.loss_history());

  // The exported EMA weights agree too.
  whole.export_model(dir.file("whole-model.safetensors"));
  resumed.export_model(dir.file("resumed-model.safetensors"));
  const auto a = io::load_safetensors(dir.file("whole-model.safetensors"));
  const auto b = io::load_safetensors(dir.file("resumed-model.safetensors"));
  REQUIRE(a.keys() == b.keys());
  for (const auto& key : a.keys()) REQUIRE(torch::equal(a.at(key), b.at(key)));
}

TEST_CASE("a checkpoint of another recipe, a damaged one or a foreign file is refused and kept",
          "[training][trainer]") {
  glide::test::ScratchDir dir;
  const std::string path = dir.file("run.safetensors");
  {
    training::Trainer trainer(tiny_options(path), tiny_shapes());
    trainer.run();
  }
  const std::string original = glide::test::file_text(path);

  auto other = tiny_options(path);
  other.learning_rate = 2e-3;
  require_error([&] { training::Trainer(other, tiny_shapes()); }, "learning_rate",
                Status::invalid_argument);
  // An option the recipe leaves out at its default is shown with that default, not as absent.
  auto mixed = tiny_options(path);
  mixed.precision = "bfloat16";
  require_error([&] { training::Trainer(mixed, tiny_shapes()); },
                "precision: \"float32\" → \"bfloat16\"", Status::invalid_argument);
  auto bigger = tiny_options(path);
  bigger.model.num_channels = 64;
  require_error([&] { training::Trainer(bigger, tiny_shapes()); }, "num_channels",
                Status::invalid_argument);
  // Other data is another run too (the dataset is recorded with the recipe).
  require_error(
      [&] {
        training::Trainer(tiny_options(path), std::make_shared<training::ShapesDataset>(8, 9));
      },
      "dataset: shapes, seed 0 → shapes, seed 9", Status::invalid_argument);
  CHECK(glide::test::file_text(path) == original);

  const std::string damaged = dir.file("damaged.safetensors");
  std::ofstream(damaged, std::ios::binary) << original.substr(0, original.size() / 2);
  const std::string damaged_bytes = glide::test::file_text(damaged);
  CHECK_THROWS_AS(training::Trainer(tiny_options(damaged), tiny_shapes()), Error);
  CHECK(glide::test::file_text(damaged) == damaged_bytes);

  const std::string model_file = dir.file("model.safetensors");
  training::Trainer(tiny_options(path), tiny_shapes()).export_model(model_file);
  const std::string model_bytes = glide::test::file_text(model_file);
  require_error([&] { training::Trainer(tiny_options(model_file), tiny_shapes()); },
                "is a model file, not a glide training checkpoint");
  CHECK(glide::test::file_text(model_file) == model_bytes);
  // A torch.save file is named as one (it used to be read as a damaged safetensors file), even
  // named .safetensors (a .pt name is refused by its name).
  const std::string torch_file = dir.file("torch-save.safetensors");
  io::save_torch_state_dict(io::load_safetensors(model_file), torch_file);
  require_error([&] { training::Trainer(tiny_options(torch_file), tiny_shapes()); },
                "is a torch.save file, not a glide training checkpoint");
  // And the other way round: a training checkpoint is not a model to load or fine-tune from.
  require_error([&] { load_stage_model(path); }, "is a training checkpoint",
                Status::invalid_argument);
  auto fine_tune = tiny_options(dir.file("fine-tune.safetensors"));
  fine_tune.init_from = path;
  require_error([&] { training::Trainer(fine_tune, tiny_shapes()); }, "--export",
                Status::invalid_argument);
}

TEST_CASE("two trainers cannot work on one checkpoint at once", "[training][trainer]") {
  glide::test::ScratchDir dir;
  const std::string path = dir.file("run.safetensors");
  const std::string lock = path + ".lock";
  {
    training::Trainer first(tiny_options(path), tiny_shapes());
    CHECK(std::filesystem::exists(lock));
    CHECK(first.holds_checkpoint_lock());
    require_error([&] { training::Trainer(tiny_options(path), tiny_shapes()); },
                  "is in use: another process holds its lock", Status::io_error);
    // The same file through a symbolic link is the same lock.
    const std::string link = dir.file("link.safetensors");
    std::filesystem::create_symlink(path, link);
    require_error([&] { training::Trainer(tiny_options(link), tiny_shapes()); }, lock,
                  Status::io_error);
    // Another checkpoint in the same folder is not held up.
    training::Trainer other(tiny_options(dir.file("other.safetensors")), tiny_shapes());
  }
  CHECK_FALSE(std::filesystem::exists(lock));
  // A lock file a killed process left behind holds no lock, and the temporary checkpoint it was
  // writing is removed (other names that only look alike are not).
  std::ofstream(lock) << "";
  std::ofstream(path + ".tmp-a1B2c3") << "half a checkpoint";
  for (const auto* other : {".tmp-a1B2c", ".tmp-a1B2c3d", ".tmp-a1B2c!", ".tmp"}) {
    std::ofstream(path + other) << "not glide's";
  }
  training::Trainer again(tiny_options(path), tiny_shapes());
  CHECK_FALSE(std::filesystem::exists(path + ".tmp-a1B2c3"));
  for (const auto* other : {".tmp-a1B2c", ".tmp-a1B2c3d", ".tmp-a1B2c!", ".tmp"}) {
    CHECK(std::filesystem::exists(path + other));
  }
  again.run();
  CHECK(std::filesystem::exists(path));
}

TEST_CASE("the checkpoint lock leaves other files alone", "[training][trainer]") {
  glide::test::ScratchDir dir;
  const std::string path = dir.file("run.safetensors");
  const std::string lock = path + ".lock";
  // A link where the lock file goes is refused, not followed to create or remove its target.
  const std::string target = dir.file("target.txt");
  std::filesystem::create_symlink(target, lock);
  require_error([&] { training::Trainer(tiny_options(path), tiny_shapes()); },
                "it is a symbolic link", Status::io_error);
  CHECK_FALSE(std::filesystem::exists(target));
  std::filesystem::remove(lock);
  // A lock file someone replaced while it was held is theirs: releasing does not remove it.
  {
    training::Trainer trainer(tiny_options(path), tiny_shapes());
    std::filesystem::remove(lock);
    std::ofstream(lock) << "someone else's";
  }
  CHECK(std::filesystem::exists(lock));
}

TEST_CASE("a diverged step stops training before any checkpoint is written",
          "[training][trainer]") {
  glide::test::ScratchDir dir;
  auto options = tiny_options(dir.file("run.safetensors"));
  options.checkpoint_every = 1;
  training::Trainer trainer(options, tiny_shapes());
  // Weights no optimizer step could make: the first forward pass gives a NaN loss.
  {
    const torch::NoGradGuard no_grad;
    trainer.model()->parameters().front().fill_(std::numeric_limits<float>::quiet_NaN());
  }
  require_error([&] { trainer.run(); }, "training diverged at step 1: the loss is nan",
                Status::internal);
  // The advice names the options to change, with their values (clipping is on by default).
  require_error([&] { trainer.run(); },
                "lower the learning rate (learning_rate=0.001) or the gradient clipping norm "
                "(grad_clip=1)",
                Status::internal);
  CHECK_FALSE(std::filesystem::exists(options.checkpoint_path));

  // Weights gone non-finite where the loss does not look: the embedding of a token no caption
  // uses. The step is taken with a finite loss; the weights check after it stops the run.
  options.checkpoint_path = dir.file("unseen.safetensors");
  training::Trainer unseen(options, tiny_shapes());
  {
    const torch::NoGradGuard no_grad;
    unseen.model()->named_parameters()["token_embedding.weight"][40000].fill_(
        std::numeric_limits<float>::infinity());
  }
  require_error([&] { unseen.run(); },
                "training diverged at step 1: the weights of token_embedding.weight are no "
                "longer finite",
                Status::internal);
  CHECK_FALSE(std::filesystem::exists(options.checkpoint_path));
  require_error([&] { unseen.save_checkpoint(); }, "cannot save", Status::invalid_argument);
}

namespace {
// Shapes images, with one example replaced by what `broken` makes of it.
class AlteredShapes : public training::Dataset {
 public:
  explicit AlteredShapes(std::function<torch::Tensor(torch::Tensor)> broken)
      : broken_(std::move(broken)) {}
  int64_t size() const override { return shapes_.size(); }
  int64_t image_size() const override { return shapes_.image_size(); }
  training::Example get(int64_t index) const override {
    training::Example example = shapes_.get(index);
    example.image = broken_(example.image);
    return example;
  }

 private:
  training::ShapesDataset shapes_{8, 0};
  std::function<torch::Tensor(torch::Tensor)> broken_;
};
}  // namespace

TEST_CASE("a dataset's images of the wrong shape, dtype or range are refused by example",
          "[training][trainer]") {
  glide::test::ScratchDir dir;
  const auto run_on = [&](std::function<torch::Tensor(torch::Tensor)> broken) {
    training::Trainer(tiny_options(dir.file("run.safetensors")),
                      std::make_shared<AlteredShapes>(std::move(broken)))
        .run();
  };
  require_error([&] { run_on([](torch::Tensor image) { return image * 255; }); },
                "pixel values span", Status::invalid_argument);
  require_error([&] { run_on([](torch::Tensor image) { return image.to(torch::kDouble); }); },
                "the image is Double of shape [3, 8, 8]; expected float32 of shape (3, 8, 8)",
                Status::invalid_argument);
  require_error([&] { run_on([](torch::Tensor image) {
                        return image.permute({1, 2, 0});
                      }); },
                "of shape [8, 8, 3]", Status::invalid_argument);
  require_error([&] { run_on([](torch::Tensor) { return torch::Tensor(); }); },
                "the image is undefined", Status::invalid_argument);
  CHECK_FALSE(std::filesystem::exists(dir.file("run.safetensors")));
}

TEST_CASE("an exported model loads as a stage model with its configs", "[training][trainer]") {
  glide::test::ScratchDir dir;
  const auto options = tiny_options(dir.file("run.safetensors"));
  training::Trainer trainer(options, tiny_shapes());
  trainer.run();
  const std::string path = dir.file("model.safetensors");
  trainer.export_model(path, torch::kFloat16);
  require_error([&] { trainer.export_model(path); }, "exist", Status::invalid_argument);
  const StageModel stage = load_stage_model(path);
  CHECK(stage.model->config().to_json() == options.model.to_json());
  CHECK(stage.diffusion.noise_schedule == "squaredcos_cap_v2");
  CHECK(stage.diffusion.diffusion_steps == 1000);
  CHECK(stage.diffusion.prediction == "epsilon");
}

TEST_CASE("a v-prediction model trains, exports as one and samples", "[training][trainer]") {
  glide::test::ScratchDir dir;
  auto options = tiny_options(dir.file("run.safetensors"));
  options.diffusion.prediction = "v";
  options.steps = 80;
  options.model.dropout = 0;
  training::Trainer trainer(options, tiny_shapes());
  std::vector<double> losses;
  trainer.run([&](const training::TrainProgress& p) { losses.push_back(p.loss); });
  // The MSE on v holds x0's error at high noise, which a tiny model lowers more slowly than the
  // eps MSE (0.70 to 0.52 here when written).
  check_loss_fell(losses, 0.8);
  const std::string path = dir.file("model.safetensors");
  trainer.export_model(path);
  const StageModel stage = load_stage_model(path);
  CHECK(stage.diffusion.prediction == "v");
  GuidedSampler sampler(stage, {nullptr});
  GenerationParams params;
  params.prompts = {"a red circle on a blue background"};
  params.base.respacing = "10";
  params.upsample = false;
  const torch::Tensor image = sampler.generate(params).base;
  CHECK(image.sizes() == torch::IntArrayRef({1, 8, 8, 3}));
  // A v model's output is not read as eps: the images differ when the model is taken for one.
  StageModel as_eps = stage;
  as_eps.diffusion.prediction = "epsilon";
  CHECK_FALSE(torch::equal(GuidedSampler(as_eps, {nullptr}).generate(params).base, image));
}

TEST_CASE("training options are validated with the option's name", "[training][trainer]") {
  glide::test::ScratchDir dir;
  const auto bad = [&](auto edit, const std::string& name) {
    auto o = tiny_options(dir.file("x.safetensors"));
    edit(o);
    require_error([&] { training::Trainer(o, tiny_shapes()); }, name, Status::invalid_argument);
  };
  bad([](auto& o) { o.steps = 0; }, "steps=0");
  bad([](auto& o) { o.learning_rate = 1e39; }, "learning_rate=1e+39 must be positive and within");
  bad([](auto& o) { o.weight_decay = std::numeric_limits<double>::infinity(); },
      "weight_decay=inf");
  bad(
      [](auto& o) {
        o.learning_rate = 0.5;
        o.weight_decay = 2;
      },
      "weight_decay=2 with learning_rate=0.5: their product must be below 1");
  bad([](auto& o) { o.grad_clip = std::numeric_limits<double>::infinity(); }, "grad_clip=inf");
  bad([](auto& o) { o.batch_size = -1; }, "batch_size=-1");
  bad([](auto& o) { o.lr_schedule = "step"; }, "lr_schedule");
  bad([](auto& o) { o.caption_dropout = 1.5; }, "caption_dropout");
  bad([](auto& o) { o.x0_weight_cap = 0.5; }, "x0_weight_cap=0.5");
  bad([](auto& o) { o.high_noise_fraction = -0.1; }, "high_noise_fraction=-0.1");
  bad([](auto& o) { o.precision = "float16"; }, "precision=\"float16\"");
  bad(
      [](auto& o) {
        o.diffusion.prediction = "v";
        o.x0_weight_cap = 20;
      },
      "x0_weight_cap=20");
  bad([](auto& o) { o.diffusion.prediction = "x0"; }, "prediction \"x0\"");
  bad([](auto& o) { o.ema_decay = 1.0; }, "ema_decay");
  bad([](auto& o) { o.crop_size = 4; }, "crop_size");
  bad([](auto& o) { o.checkpoint_path.clear(); }, "checkpoint_path");
  bad([](auto& o) { o.model.inpaint = true; }, "inpaint");
  bad([](auto& o) { o.diffusion.timestep_respacing = "10"; }, "timestep_respacing");
  auto o = tiny_options(dir.file("x.safetensors"));
  require_error([&] { training::Trainer(o, std::make_shared<training::ShapesDataset>(16, 0)); },
                "16x16", Status::invalid_argument);
  // A checkpoint path that cannot be written is refused before any step is taken.
  o.checkpoint_path = dir.file("no-folder/run.safetensors");
  require_error([&] { training::Trainer(o, tiny_shapes()); }, "does not exist", Status::not_found);
  std::filesystem::create_directory(dir.file("folder.safetensors"));
  o.checkpoint_path = dir.file("folder.safetensors");
  require_error([&] { training::Trainer(o, tiny_shapes()); }, "is a folder",
                Status::invalid_argument);
  // A checkpoint is a safetensors file whatever its name: a .pt name would mislead a reader.
  o.checkpoint_path = dir.file("run.pt");
  require_error([&] { training::Trainer(o, tiny_shapes()); },
                "checkpoints are written as safetensors files; give a name ending in .safetensors",
                Status::invalid_argument);
  o.checkpoint_path = dir.file(".safetensors");
  require_error([&] { training::Trainer(o, tiny_shapes()); }, "is only an extension",
                Status::invalid_argument);
  // upsample_factor is recorded for base models too: only its default may be given there, or
  // the command line (which refuses it for base models) could never resume the run.
  bad([](auto& o) { o.upsample_factor = 2; },
      "upsample_factor=2 applies to super-resolution models only");
}

TEST_CASE("fine-tuning refuses a model trained on another diffusion, or one that is absent",
          "[training][trainer]") {
  glide::test::ScratchDir dir;
  auto options = tiny_options(dir.file("run.safetensors"));
  options.diffusion.prediction = "v";
  options.diffusion.noise_schedule = "linear";
  options.steps = 1;
  training::Trainer trainer(options, tiny_shapes());
  trainer.run();
  trainer.export_model(dir.file("v-model.safetensors"));

  auto fine_tune = tiny_options(dir.file("fine-tune.safetensors"));  // eps, cosine
  fine_tune.init_from = dir.file("v-model.safetensors");
  require_error([&] { training::Trainer(fine_tune, tiny_shapes()); },
                "was trained with noise_schedule \"linear\" (the recipe's: \"squaredcos_cap_v2\"), "
                "prediction \"v\" (the recipe's: \"epsilon\")",
                Status::invalid_argument);
  CHECK_FALSE(std::filesystem::exists(fine_tune.checkpoint_path));
  // With the model's own diffusion the same model fine-tunes.
  fine_tune.diffusion = options.diffusion;
  training::Trainer(fine_tune, tiny_shapes()).run();
  CHECK(std::filesystem::exists(fine_tune.checkpoint_path));

  fine_tune.init_from = dir.file("absent.safetensors");
  fine_tune.checkpoint_path = dir.file("other.safetensors");
  require_error([&] { training::Trainer(fine_tune, tiny_shapes()); },
                "init_from model '" + fine_tune.init_from + "' does not exist", Status::not_found);
}

TEST_CASE("a checkpoint past the run's steps, or with damaged metadata, is refused by name",
          "[training][trainer]") {
  glide::test::ScratchDir dir;
  auto options = tiny_options(dir.file("run.safetensors"));
  options.lr_schedule = "constant";  // steps are then not part of the recipe
  options.steps = 3;
  training::Trainer(options, tiny_shapes()).run();
  options.steps = 2;
  require_error([&] { training::Trainer(options, tiny_shapes()); },
                "is at step 3, past steps=2: give steps of at least 3", Status::invalid_argument);
  options.steps = 3;
  CHECK(training::Trainer(options, tiny_shapes()).step() == 3);

  // The training metadata with a field of the wrong type, and without the loss history.
  auto checkpoint = load_checkpoint(options.checkpoint_path);
  auto training_json = nlohmann::json::parse(checkpoint.metadata.at(kTrainingMetadataKey));
  training_json["kind"] = 5;
  auto metadata = checkpoint.metadata;
  metadata[kTrainingMetadataKey] = training_json.dump();
  const std::string wrong_kind = dir.file("wrong-kind.safetensors");
  io::save_safetensors(checkpoint.tensors, wrong_kind, metadata);
  options.checkpoint_path = wrong_kind;
  require_error([&] { training::Trainer(options, tiny_shapes()); },
                "wrong-kind.safetensors: metadata \"glide.training\" is damaged");
  StateDict without_history;
  for (const auto& [name, t] : checkpoint.tensors.items()) {
    if (name != "loss_history") without_history.insert(name, t);
  }
  const std::string no_history = dir.file("no-history.safetensors");
  io::save_safetensors(without_history, no_history, checkpoint.metadata);
  options.checkpoint_path = no_history;
  require_error([&] { training::Trainer(options, tiny_shapes()); },
                "no-history.safetensors lacks tensor \"loss_history\"");
}

TEST_CASE("a training job's config file, dataset and outputs", "[training][train_job]") {
  glide::test::ScratchDir dir;
  const auto options = tiny_options(dir.file("run.safetensors"));
  const std::string config = dir.file("tiny.json");
  std::ofstream(config) << options.model.to_json();
  const training::Recipe recipe = training::read_recipe(config);
  CHECK(recipe.model.to_json() == options.model.to_json());
  CHECK(recipe.diffusion.noise_schedule == "squaredcos_cap_v2");  // the official base diffusion
  require_error([&] { training::read_recipe(dir.file("none.json")); }, "none.json",
                Status::not_found);
  std::ofstream(dir.file("bad.json")) << "{\"no_such_option\": 1}";
  require_error([&] { training::read_recipe(dir.file("bad.json")); }, "bad.json",
                Status::invalid_argument);

  // A recipe may name its own diffusion, as the shipped base model's does.
  nlohmann::json shifted = nlohmann::json::parse(options.model.to_json());
  shifted["noise_schedule"] = "shifted_cosine_4";
  shifted["diffusion_steps"] = 500;
  std::ofstream(dir.file("shifted.json")) << shifted.dump();
  const training::Recipe shifted_recipe = training::read_recipe(dir.file("shifted.json"));
  CHECK(shifted_recipe.diffusion.noise_schedule == "shifted_cosine_4");
  CHECK(shifted_recipe.diffusion.diffusion_steps == 500);
  CHECK(shifted_recipe.model.to_json() == options.model.to_json());
  // A model file records its recipe, diffusion included: an export can be fine-tuned as it is.
  {
    auto v_options = tiny_options(dir.file("v-run.safetensors"));
    v_options.diffusion.prediction = "v";
    v_options.steps = 1;
    training::Trainer v_trainer(v_options, tiny_shapes());
    v_trainer.run();
    v_trainer.export_model(dir.file("v-model.safetensors"));
  }
  const training::Recipe from_model = training::read_recipe(dir.file("v-model.safetensors"));
  CHECK(from_model.model.to_json() == options.model.to_json());
  CHECK(from_model.diffusion.prediction == "v");
  io::save_torch_state_dict(io::load_safetensors(dir.file("v-model.safetensors")),
                            dir.file("v-model.pt"));
  require_error([&] { training::read_recipe(dir.file("v-model.pt")); }, "records no config",
                Status::invalid_argument);
  io::save_safetensors(io::load_safetensors(dir.file("v-model.safetensors")),
                       dir.file("bare.safetensors"));
  require_error([&] { training::read_recipe(dir.file("bare.safetensors")); },
                "without glide.model_config metadata", Status::invalid_argument);

  shifted["noise_schedule"] = "shifted_cosine_half";
  std::ofstream(dir.file("bad-schedule.json")) << shifted.dump();
  require_error([&] { training::read_recipe(dir.file("bad-schedule.json")); },
                "shifted_cosine_half", Status::invalid_argument);

  CHECK(training::make_dataset("shapes", "", 8, 0)->image_size() == 8);
  require_error([&] { training::make_dataset("mnist", "", 8, 0); }, "mnist",
                Status::invalid_argument);
  require_error([&] { training::make_dataset("shapes", dir.file("no-images"), 8, 0); }, "no-images",
                Status::not_found);

  training::Trainer trainer(options, tiny_shapes());
  trainer.run();
  training::TrainOutputs outputs;
  outputs.export_path = dir.file("model.safetensors");
  outputs.export_dtype = torch::kFloat16;
  outputs.loss_curve_path = dir.file("loss.png");
  outputs.check();
  training::write_outputs(trainer, outputs);
  CHECK(load_stage_model(outputs.export_path).model->config().to_json() == options.model.to_json());
  CHECK(io::load_safetensors(outputs.export_path).at("out.2.weight").dtype() == torch::kFloat16);
  CHECK(image::load_png(outputs.loss_curve_path).pixels.size(1) == 640);
  require_error([&] { outputs.check(); }, "already exists", Status::invalid_argument);
  outputs.overwrite = true;
  outputs.check(options.checkpoint_path);
  training::write_outputs(trainer, outputs);

  // Both outputs or neither: an export that fails after the loss curve was written takes the new
  // curve away with it (a rerun would otherwise refuse over it).
  training::TrainOutputs half = outputs;
  half.overwrite = false;
  half.loss_curve_path = dir.file("new-loss.png");
  half.export_path = dir.file("gone/model.safetensors");
  require_error([&] { training::write_outputs(trainer, half); }, "gone' does not exist",
                Status::not_found);
  CHECK_FALSE(std::filesystem::exists(half.loss_curve_path));

  // One file for two outputs would replace one by the other, even with overwrite: the
  // checkpoint by the export, say, losing the run.
  training::TrainOutputs clash = outputs;
  clash.export_path = options.checkpoint_path;
  require_error([&] { clash.check(options.checkpoint_path); },
                "the export and the checkpoint are both", Status::invalid_argument);
  clash.export_path = dir.file("sub/../model.safetensors");
  std::filesystem::create_directory(dir.file("sub"));
  clash.loss_curve_path = dir.file("model.safetensors");
  require_error([&] { clash.check(); }, "are one file", Status::invalid_argument);
  // Nor may the export replace the model the run fine-tunes from: resuming names that file.
  clash = outputs;
  clash.overwrite = true;
  clash.export_path = dir.file("start.safetensors");
  require_error([&] { clash.check(options.checkpoint_path, clash.export_path); },
                "the export and the init_from model are both", Status::invalid_argument);
  // Each output is named for its format: what is written is what the name says.
  clash = outputs;
  clash.export_path = dir.file("model.pt");
  require_error([&] { clash.check(); }, ".safetensors", Status::invalid_argument);
  clash = outputs;
  clash.loss_curve_path = dir.file("loss.jpg");
  require_error([&] { clash.check(); }, ".png", Status::invalid_argument);
  clash.loss_curve_path = dir.file(".png");  // a hidden file with no name of its own
  require_error([&] { clash.check(); }, "it is only an extension", Status::invalid_argument);
  clash = outputs;
  clash.export_path = dir.file("Model.SafeTensors");
  clash.check(options.checkpoint_path);
}
