// load_model (config given, from safetensors metadata, inferred among presets) and
// load_stage_model's diffusion config.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>

#include "glide/error.hpp"
#include "glide/io/checkpoint.hpp"
#include "glide/models/loading.hpp"
#include "glide/pipeline/stage_model.hpp"
#include "support/catch_torch.hpp"
#include "support/goldens.hpp"

namespace {

using namespace glide;

ModelConfig golden_config(const std::string& models_json, const std::string& name) {
  std::ifstream in(models_json);
  return ModelConfig::from_json(nlohmann::json::parse(in).at(name).at("options").dump());
}

// A temporary file removed at the end of the test.
struct TempFile {
  std::filesystem::path path;
  explicit TempFile(const std::string& name)
      : path(std::filesystem::temp_directory_path() /
             ("glide_test_pipeline_" + std::to_string(::getpid()) + "_" + name)) {}
  ~TempFile() { std::filesystem::remove(path); }
};

std::string golden_model_path(const std::string& name) {
  return (std::filesystem::path(*test::goldens_dir()) / ("model_" + name + ".pt")).string();
}

}  // namespace

TEST_CASE("load_model with a given config", "[pipeline]") {
  GLIDE_REQUIRE_GOLDEN(models, "models.json");
  const auto config = golden_config(models, "superres");
  const Text2ImUNet model = load_model(golden_model_path("superres"), config);
  CHECK(model->config().super_res);
  CHECK(model->config().image_size == 32);
  CHECK_FALSE(model->is_training());
  // A config the weights do not fit names the file and the source of the config.
  try {
    load_model(golden_model_path("superres"), golden_config(models, "text2im"));
    FAIL("mismatched weights were accepted");
  } catch (const Error& e) {
    CHECK_THAT(e.what(), Catch::Contains("model_superres.pt"));
    CHECK_THAT(e.what(), Catch::Contains("caller"));
    // Told by the input convolution (6 channels: the image and the low-res one), before building.
    CHECK_THAT(e.what(), Catch::Contains("input_blocks.0.0.weight is ["));
  }
}

TEST_CASE("load_model infers the config among presets and lists what it tried", "[pipeline]") {
  GLIDE_REQUIRE_GOLDEN(models, "models.json");
  // The golden models are small: none of the official presets fits, each says why.
  try {
    load_model(golden_model_path("text2im"));
    FAIL("a small model matched an official preset");
  } catch (const Error& e) {
    CHECK(e.status() == Status::invalid_format);
    for (const char* preset : {"base:", "upsample:", "base-inpaint:", "upsample-inpaint:"}) {
      CHECK_THAT(e.what(), Catch::Contains(preset));
    }
    CHECK_THAT(e.what(), Catch::Contains("input_blocks.0.0.weight"));
  }
  // Among the small configs, each checkpoint is matched to its own.
  const std::vector<NamedModelConfig> presets{
      {"text2im", golden_config(models, "text2im")},
      {"inpaint", golden_config(models, "inpaint")},
      {"superres", golden_config(models, "superres")},
      {"nopad", golden_config(models, "text2im_nopad_noln")}};
  for (const std::string name : {"text2im", "inpaint", "superres", "text2im_nopad_noln"}) {
    INFO(name);
    const Checkpoint checkpoint = load_checkpoint(golden_model_path(name));
    const Text2ImUNet model = load_model(checkpoint, name, std::nullopt, presets);
    CHECK(model->config().to_json() == golden_config(models, name).to_json());
  }
}

TEST_CASE("weights holding NaN are named as the file's fault, given a config or not",
          "[pipeline]") {
  GLIDE_REQUIRE_GOLDEN(models, "models.json");
  Checkpoint checkpoint = load_checkpoint(golden_model_path("text2im"));
  checkpoint.tensors.at("out.2.bias")[0] = std::numeric_limits<float>::quiet_NaN();
  const std::vector<NamedModelConfig> presets{{"text2im", golden_config(models, "text2im")}};
  for (const bool given : {true, false}) {
    INFO(given);
    try {
      if (given) {
        load_model(checkpoint, "nan.pt", golden_config(models, "text2im"));
      } else {
        load_model(checkpoint, "nan.pt", std::nullopt, presets);
      }
      FAIL("NaN weights were accepted");
    } catch (const Error& e) {
      CHECK(e.status() == Status::invalid_format);
      CHECK_THAT(e.what(), Catch::StartsWith("nan.pt: 'out.2.bias' holds 1 NaN or infinite value"));
      CHECK_THAT(e.what(), !Catch::Contains("do not fit") && !Catch::Contains("preset"));
    }
  }
}

TEST_CASE("load_stage_model reads both configs from safetensors metadata", "[pipeline]") {
  GLIDE_REQUIRE_GOLDEN(models, "models.json");
  const auto config = golden_config(models, "text2im");
  const StateDict weights = io::load_torch_state_dict(golden_model_path("text2im"));
  TempFile file("with_metadata.safetensors");
  io::save_safetensors(
      weights, file.path.string(),
      {{kModelConfigMetadataKey, config.to_json()},
       {kDiffusionConfigMetadataKey, R"({"diffusion_steps": 500, "noise_schedule": "linear"})"}});
  const StageModel stage = load_stage_model(file.path.string());
  CHECK(stage.model->config().to_json() == config.to_json());
  CHECK(stage.diffusion.diffusion_steps == 500);
  CHECK(stage.diffusion.noise_schedule == "linear");

  // Without diffusion metadata: the official defaults by variant.
  TempFile bare("model_only.safetensors");
  io::save_safetensors(weights, bare.path.string(), {{kModelConfigMetadataKey, config.to_json()}});
  CHECK(load_stage_model(bare.path.string()).diffusion.noise_schedule == "squaredcos_cap_v2");
  CHECK(default_diffusion_config(ModelConfig::upsampler()).noise_schedule == "linear");
  CHECK(default_diffusion_config(ModelConfig::base_inpaint()).noise_schedule ==
        "squaredcos_cap_v2");
  DiffusionConfig given;
  given.noise_schedule = "linear";
  CHECK(load_stage_model(bare.path.string(), std::nullopt, given).diffusion.noise_schedule ==
        "linear");

  // Bad metadata names the key.
  TempFile bad("bad_metadata.safetensors");
  io::save_safetensors(weights, bad.path.string(),
                       {{kModelConfigMetadataKey, config.to_json()},
                        {kDiffusionConfigMetadataKey, R"({"noise_schedule": "cubic"})"}});
  CHECK_THROWS_WITH(load_stage_model(bad.path.string()),
                    Catch::Contains(kDiffusionConfigMetadataKey) && Catch::Contains("cubic"));
  CHECK_THROWS_WITH(diffusion_config_from_json(R"({"steps": 10})"), Catch::Contains("steps"));
  CHECK_THROWS_WITH(diffusion_config_from_json(R"({"prediction": "x0"})"),
                    Catch::Contains("prediction \"x0\""));
}

TEST_CASE("a model's options naming part of its diffusion keep the model's defaults for the rest",
          "[pipeline][loading]") {
  const DiffusionConfig upsampler = default_diffusion_config(ModelConfig::upsampler());
  const auto v =
      diffusion_config_in_options(R"({"super_res": true, "prediction": "v"})", upsampler);
  REQUIRE(v.has_value());
  CHECK(v->noise_schedule == "linear");  // not DiffusionConfig's own default, cosine
  CHECK(v->prediction == "v");
  CHECK(v->diffusion_steps == 1000);
  CHECK_FALSE(diffusion_config_in_options(R"({"super_res": true})", upsampler).has_value());
  // Round trip through the metadata JSON, which names prediction only when it is not epsilon.
  CHECK(diffusion_config_from_json(diffusion_config_to_json(*v)).prediction == "v");
  CHECK(diffusion_config_to_json(upsampler).find("prediction") == std::string::npos);
  CHECK_THROWS_WITH(diffusion_config_in_options(R"({"prediction": 1})", upsampler),
                    Catch::Contains("prediction"));
  // diffusion_config_for: the same, falling back on the model's defaults when nothing is named.
  const DiffusionConfig for_v =
      diffusion_config_for(ModelConfig::upsampler(), R"({"super_res": true, "prediction": "v"})");
  CHECK((for_v.noise_schedule == "linear" && for_v.prediction == "v"));
  const DiffusionConfig for_base = diffusion_config_for(ModelConfig::base(), "{}");
  CHECK((for_base.noise_schedule == "squaredcos_cap_v2" && for_base.prediction == "epsilon"));
}

TEST_CASE("options given beside a checkpoint lay their diffusion over the checkpoint's",
          "[pipeline][loading]") {
  GLIDE_REQUIRE_GOLDEN(models, "models.json");
  const auto config = golden_config(models, "text2im");
  const StateDict weights = io::load_torch_state_dict(golden_model_path("text2im"));
  TempFile file("linear_500.safetensors");
  io::save_safetensors(
      weights, file.path.string(),
      {{kModelConfigMetadataKey, config.to_json()},
       {kDiffusionConfigMetadataKey, R"({"diffusion_steps": 500, "noise_schedule": "linear"})"}});
  const std::string path = file.path.string();

  // Whether or not the options name the model too, what they leave out stays the checkpoint's
  // (not the official cosine schedule of 1000 steps).
  for (const auto& model : {std::optional<ModelConfig>{}, std::optional<ModelConfig>{config}}) {
    const StageModel stage =
        load_stage_model_with_options(path, model, R"({"prediction": "v"})", "the options");
    CHECK(stage.diffusion.prediction == "v");
    CHECK(stage.diffusion.noise_schedule == "linear");
    CHECK(stage.diffusion.diffusion_steps == 500);
  }
  CHECK(load_stage_model_with_options(path, std::nullopt, "", "none").diffusion.diffusion_steps ==
        500);

  // A bad value is refused under the options' name before the checkpoint is read.
  CHECK_THROWS_WITH(load_stage_model_with_options("/no/such/file.safetensors", std::nullopt,
                                                  R"({"noise_schedule": "bogus"})", "my options"),
                    Catch::StartsWith("my options: ") && Catch::Contains("'bogus'"));
  // Options naming only diffusion, over a checkpoint whose model can't be read from itself: the
  // advice names them.
  try {
    load_stage_model_with_options(golden_model_path("text2im"), std::nullopt,
                                  R"({"prediction": "epsilon"})", "my options");
    FAIL("the golden .pt records no model config, and fits no preset");
  } catch (const Error& e) {
    CHECK_THAT(e.what(), Catch::Contains("(my options names only diffusion options; add the "
                                         "model's own"));
  }
  // Options naming nothing the loader reads get no such advice: the failure is the checkpoint's.
  try {
    load_stage_model_with_options(golden_model_path("text2im"), std::nullopt,
                                  R"({"use_fp16": false})", "my options");
    FAIL("the golden .pt records no model config, and fits no preset");
  } catch (const Error& e) {
    CHECK_THAT(e.what(), !Catch::Contains("names only diffusion options"));
  }
  // Nor does a checkpoint that is missing: model options would not bring it back.
  CHECK_THROWS_WITH(
      load_stage_model_with_options("/no/such/file.safetensors", std::nullopt,
                                    R"({"prediction": "v"})", "my options"),
      Catch::Contains("does not exist") && !Catch::Contains("names only diffusion options"));
}
