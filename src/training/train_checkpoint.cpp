#include <fmt/format.h>
#include <fmt/ranges.h>

#include <nlohmann/json.hpp>

#include "glide/error.hpp"
#include "glide/io/checkpoint.hpp"
#include "glide/models/loading.hpp"
#include "glide/pipeline/stage_model.hpp"
#include "io/json_text.hpp"
#include "training/train_state.hpp"

namespace glide::training {

namespace {

constexpr const char* kCheckpointKind = "glide-training-checkpoint";
constexpr int kCheckpointVersion = 1;

void insert_all(StateDict& dict, const std::string& prefix, const std::vector<NamedTensor>& ts) {
  for (const auto& t : ts) dict.insert(prefix + t.name, t.tensor.detach());
}

// Copies the checkpoint's `prefix + name` tensors into `targets`, checking every shape.
void restore_all(const StateDict& dict, const std::string& prefix,
                 std::vector<NamedTensor>& targets, const std::string& path) {
  torch::NoGradGuard no_grad;
  for (auto& t : targets) {
    const std::string key = prefix + t.name;
    if (!dict.contains(key)) {
      throw Error(Status::invalid_format,
                  fmt::format("training checkpoint {} lacks tensor \"{}\"", path, key));
    }
    const torch::Tensor& value = dict.at(key);
    if (value.sizes() != t.tensor.sizes()) {
      throw Error(Status::invalid_format,
                  fmt::format("training checkpoint {}: tensor \"{}\" has shape {}; the model "
                              "expects {}",
                              path, key, c10::str(value.sizes()), c10::str(t.tensor.sizes())));
    }
    t.tensor.copy_(value);
  }
}

// A recipe field as a person reads it: the options recipe_json() leaves out at their defaults
// are shown with those, not as absent.
std::string recipe_value(const nlohmann::json& recipe, const std::string& key) {
  if (recipe.contains(key)) return recipe[key].dump();
  const TrainOptions defaults;
  if (key == "x0_weight_cap") return nlohmann::json(defaults.x0_weight_cap).dump();
  if (key == "high_noise_fraction") return nlohmann::json(defaults.high_noise_fraction).dump();
  if (key == "precision") return nlohmann::json(defaults.precision).dump();
  return "absent";
}

// The recipe fields whose values differ, as "name: checkpoint → now".
std::vector<std::string> recipe_differences(const nlohmann::json& saved,
                                            const nlohmann::json& now) {
  std::vector<std::string> out;
  const auto differ = [&](const std::string& key) {
    if (saved.contains(key) && now.contains(key) && saved[key] == now[key]) return;
    out.push_back(
        fmt::format("{}: {} → {}", key, recipe_value(saved, key), recipe_value(now, key)));
  };
  for (const auto& item : now.items()) differ(item.key());
  for (const auto& item : saved.items()) {
    if (!now.contains(item.key())) differ(item.key());
  }
  return out;
}

}  // namespace

void write_checkpoint(const Trainer::State& state) {
  StateDict dict;
  insert_all(dict, "model/", state.parameters);
  for (const auto& buffer : state.model->named_buffers()) {
    dict.insert("buffer/" + buffer.key(), buffer.value().detach());
  }
  insert_all(dict, "ema/", state.ema->averages());
  insert_all(dict, "adam_m/", state.optimizer->first_moments());
  insert_all(dict, "adam_v/", state.optimizer->second_moments());
  dict.insert("loss_history", torch::tensor(state.losses, torch::kFloat64));

  nlohmann::ordered_json training;
  training["kind"] = kCheckpointKind;
  training["version"] = kCheckpointVersion;
  training["step"] = state.step;
  training["optimizer_steps"] = state.optimizer->steps_taken();
  training["recipe"] = nlohmann::ordered_json::parse(state.options.recipe_json());
  if (const std::string data = state.dataset->description(); !data.empty()) {
    training["dataset"] = data;
  }
  const std::map<std::string, std::string> metadata = {
      {kModelConfigMetadataKey, state.options.model.to_json()},
      {kDiffusionConfigMetadataKey, diffusion_config_to_json(state.options.diffusion)},
      {kTrainingMetadataKey, training.dump()},
  };
  io::save_safetensors(dict, state.options.checkpoint_path, metadata, /*overwrite=*/true);
}

void read_checkpoint(Trainer::State& state) {
  const std::string& path = state.options.checkpoint_path;
  // Read whatever the file is (a .pt model given by mistake, say) to say what it is not.
  const Checkpoint checkpoint = load_checkpoint(path);
  const StateDict& dict = checkpoint.tensors;
  const auto it = checkpoint.metadata.find(kTrainingMetadataKey);
  if (it == checkpoint.metadata.end()) {
    const char* what = checkpoint.format == CheckpointFormat::torch_zip ? "a torch.save file"
                       : checkpoint.metadata.count(kModelConfigMetadataKey) != 0
                           ? "a model file"
                           : "a safetensors file";
    throw Error(Status::invalid_format,
                fmt::format("{} is {}, not a glide training checkpoint (no \"{}\" metadata); "
                            "refusing to resume from or overwrite it (to fine-tune a model, "
                            "give it as --init-from / init_from and a new checkpoint path)",
                            path, what, kTrainingMetadataKey));
  }
  const nlohmann::json training = detail::parse_json(
      it->second,
      fmt::format("training checkpoint {}: metadata \"{}\"", path, kTrainingMetadataKey));
  // Each field's type is checked before it is read: a damaged file is named, not reported as a
  // JSON library's type error.
  const auto count = [&](const char* key) {
    return training.is_object() && training.contains(key) && training[key].is_number_integer() &&
           training[key].get<int64_t>() >= 0;
  };
  if (!training.is_object() || !training.contains("kind") || !training["kind"].is_string() ||
      training["kind"].get<std::string>() != kCheckpointKind || !count("version") ||
      !count("step") || !count("optimizer_steps") || !training.contains("recipe") ||
      !training["recipe"].is_object()) {
    throw Error(Status::invalid_format,
                fmt::format("training checkpoint {}: metadata \"{}\" is damaged: it needs kind "
                            "\"{}\", version, step and optimizer_steps as counts, and a recipe "
                            "object",
                            path, kTrainingMetadataKey, kCheckpointKind));
  }
  if (training["version"].get<int64_t>() != kCheckpointVersion) {
    throw Error(Status::unsupported,
                fmt::format("training checkpoint {} has version {}; this glide reads version {}",
                            path, training["version"].get<int64_t>(), kCheckpointVersion));
  }
  // A run is resumed to reach its steps; one already past them would silently do nothing.
  if (training["step"].get<int64_t>() > state.options.steps) {
    throw Error(Status::invalid_argument,
                fmt::format("training checkpoint {} is at step {}, past steps={}: give steps of at "
                            "least {} to go on from it (or to export it as it is)",
                            path, training["step"].get<int64_t>(), state.options.steps,
                            training["step"].get<int64_t>()));
  }
  auto differences =
      recipe_differences(training["recipe"], nlohmann::json::parse(state.options.recipe_json()));
  // Checkpoints from before the dataset was recorded, and datasets that do not say, match any.
  const std::string data = state.dataset->description();
  if (training.contains("dataset") && training["dataset"].is_string() && !data.empty() &&
      training["dataset"].get<std::string>() != data) {
    differences.push_back(
        fmt::format("dataset: {} → {}", training["dataset"].get<std::string>(), data));
  }
  if (!differences.empty()) {
    throw Error(Status::invalid_argument,
                fmt::format("training checkpoint {} was made with another recipe ({}); resume "
                            "with the same options or choose another checkpoint path",
                            path, fmt::join(differences, "; ")));
  }
  restore_all(dict, "model/", state.parameters, path);
  restore_all(dict, "ema/", state.ema->averages(), path);
  restore_all(dict, "adam_m/", state.optimizer->first_moments(), path);
  restore_all(dict, "adam_v/", state.optimizer->second_moments(), path);
  {
    std::vector<NamedTensor> buffers;
    for (auto& buffer : state.model->named_buffers())
      buffers.push_back({buffer.key(), buffer.value()});
    restore_all(dict, "buffer/", buffers, path);
  }
  state.step = training["step"].get<int64_t>();
  state.optimizer->set_steps_taken(training["optimizer_steps"].get<int64_t>());
  std::vector<NamedTensor> stored_history = {
      {"loss_history", torch::empty({state.step}, torch::kFloat64)}};
  restore_all(dict, "", stored_history, path);
  const torch::Tensor& history = stored_history.front().tensor;
  state.losses.assign(history.data_ptr<double>(), history.data_ptr<double>() + history.numel());
}

}  // namespace glide::training
