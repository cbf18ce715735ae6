#include <fmt/format.h>
#include <torch/nn/module.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>

#include "glide/error.hpp"
#include "glide/io/checkpoint.hpp"
#include "glide/models/bound_network.hpp"
#include "glide/models/network_call.hpp"
#include "glide/models/text2im_unet.hpp"
#include "models/layer_init.hpp"
#include "models/unet_blocks.hpp"
#include "parity/parity.hpp"
#include "support/catch_torch.hpp"
#include "support/goldens.hpp"
#include "support/require_error.hpp"
#include "support/scoped_env.hpp"

using glide::ModelConfig;

namespace {

nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in);
}

int64_t parameter_count(torch::nn::Module& m) {
  int64_t n = 0;
  for (const auto& p : m.parameters()) n += p.numel();
  return n;
}

// A 16x16 upsampler small enough for unit tests, in eval mode (no dropout), seeded weights.
glide::Text2ImUNet small_superres_model() {
  glide::Text2ImUNet model(ModelConfig::from_json(
      R"({"image_size": 16, "num_channels": 32, "num_res_blocks": 1, "channel_mult": "1,2",
          "attention_resolutions": "8", "num_head_channels": 16, "text_ctx": 4, "xf_width": 32,
          "xf_layers": 1, "xf_heads": 2, "super_res": true})"));
  model->eval();
  torch::NoGradGuard no_grad;
  torch::manual_seed(3);
  // The output layers start at zero; give them weights so that the output depends on the input.
  for (auto& p : model->parameters()) {
    if (p.abs().max().item<double>() == 0) p.normal_(0, 0.05);
  }
  return model;
}

glide::TextEmbedding random_text(glide::Text2ImUNet& model, int64_t batch) {
  return model->encode_text(torch::randint(0, 1000, {batch, 4}, torch::kLong),
                            torch::ones({batch, 4}, torch::kBool));
}

}  // namespace

TEST_CASE("model config JSON round-trips and ignores diffusion options", "[models]") {
  auto c = ModelConfig::upsampler_inpaint();
  c.num_heads = 4;
  const auto back = ModelConfig::from_json(c.to_json());
  CHECK(back.to_json() == c.to_json());
  CHECK(back.in_channels() == 10);
  const auto with_diffusion =
      ModelConfig::from_json(R"({"image_size": 64, "noise_schedule": "linear", "use_fp16": true})");
  CHECK(with_diffusion.image_size == 64);
  // The reference's default "" is accepted; steps asked for here would never be used.
  CHECK(ModelConfig::from_json(R"({"timestep_respacing": ""})").image_size == 64);
  CHECK_THROWS_WITH(
      ModelConfig::from_json(R"({"timestep_respacing": "100"})"),
      Catch::Contains("timestep_respacing=\"100\"") && Catch::Contains("chosen per call"));
}

TEST_CASE("model config rejects impossible shapes with the option's name", "[models]") {
  auto expect_error = [](const std::string& json, const std::string& fragment) {
    try {
      ModelConfig::from_json(json);
      FAIL("accepted " << json);
    } catch (const glide::Error& e) {
      CHECK(e.status() == glide::Status::invalid_argument);
      CHECK_THAT(e.what(), Catch::Contains(fragment));
    }
  };
  expect_error(R"({"num_channels": 48})", "num_channels=48");
  expect_error(R"({"image_size": 32, "channel_mult": "1,2"})", "image_size=32");
  expect_error(R"({"image_size": 96})", "image_size=96");
  expect_error(R"({"num_head_channels": 100})", "num_head_channels=100");
  expect_error(R"({"num_head_channels": -1, "num_heads": 5})", "num_heads=5");
  expect_error(R"({"xf_heads": 7})", "xf_heads=7");
  expect_error(R"({"attention_resolutions": "32,x"})", "attention_resolutions");
  expect_error(R"({"num_chanels": 32})", "num_chanels");
  expect_error(R"({"dropout": "high"})", "dropout");
  // Sizes far beyond any GLIDE model are named, not handed to LibTorch's allocator.
  expect_error(R"({"text_ctx": 1000000000000})", "text_ctx=1000000000000 must be from 1 to");
  expect_error(R"({"num_res_blocks": 1000000000})", "num_res_blocks=1000000000");
  expect_error(R"({"xf_layers": 100000})", "xf_layers=100000");
  expect_error(R"({"n_vocab": 1000000000})", "n_vocab=1000000000");
  expect_error(R"({"num_channels": 1048576})", "num_channels=1048576");
  expect_error(
      R"({"channel_mult": "1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1"})",
      "64 levels");
  CHECK_THROWS_AS(ModelConfig::from_json("{not json"), glide::Error);
}

TEST_CASE("a model config that is not JSON says where it breaks", "[models]") {
  const auto error_of = [](const std::string& json) -> std::string {
    try {
      ModelConfig::from_json(json);
    } catch (const glide::Error& e) {
      CHECK(e.status() == glide::Status::invalid_format);
      return e.what();
    }
    FAIL("accepted " << json);
    return "";
  };
  CHECK_THAT(error_of("{\n  \"image_size\": ,\n}"),
             Catch::Contains("model config is not valid JSON: it breaks at line 2, column 17"));
  // A key given twice: which one a reader keeps differs between readers, so neither is kept.
  CHECK_THAT(error_of(R"({"image_size": 64, "num_channels": 32, "image_size": 32})"),
             Catch::Contains("gives the key \"image_size\" twice"));
  CHECK_THAT(error_of(R"({"": 1, "": 2})"), Catch::Contains("gives the key \"\" twice"));
  // The same key in two objects is fine (none here: a config is flat), and so is a key that
  // appears as a value.
  CHECK(ModelConfig::from_json(R"({"channel_mult": "1,2,3,4", "attention_resolutions": "32"})")
            .attention_resolutions == "32");
  CHECK_THAT(error_of("{\"image_size\": 1e999}"), Catch::Contains("number out of range"));
  // Deep nesting is refused while reading (it overflowed the stack in later copies).
  CHECK_THAT(
      error_of("{\"num_channels\": " + std::string(100000, '[') + std::string(100000, ']') + "}"),
      Catch::Contains("nests deeper than 64 levels"));
}

TEST_CASE("official presets have the official state-dict keys, shapes and sizes",
          "[models][slow]") {
  GLIDE_REQUIRE_GOLDEN(path, "manifests.json");
  const auto manifests = read_json(path);
  const std::pair<const char*, ModelConfig> presets[] = {
      {"base", ModelConfig::base()},
      {"upsample", ModelConfig::upsampler()},
      {"base-inpaint", ModelConfig::base_inpaint()},
      {"upsample-inpaint", ModelConfig::upsampler_inpaint()}};
  for (const auto& [name, config] : presets) {
    INFO("preset " << name);
    const auto& manifest = manifests.at(name);
    glide::Text2ImUNet model(config);
    const auto params = model->named_parameters().pairs();
    REQUIRE(params.size() == manifest.at("keys").size());
    size_t mismatches = 0;
    for (size_t i = 0; i < params.size(); ++i) {
      const auto key = manifest["keys"][i][0].get<std::string>();
      const auto shape = manifest["keys"][i][1].get<std::vector<int64_t>>();
      const auto& item = params[i];
      if (item.first != key || item.second.sizes().vec() != shape) {
        if (++mismatches < 5) {
          UNSCOPED_INFO("key " << i << ": glide " << item.first << " " << item.second.sizes()
                               << " vs reference " << key);
        }
      }
    }
    CHECK(mismatches == 0);
    CHECK(parameter_count(*model) == manifest.at("params").get<int64_t>());
  }
}

TEST_CASE("golden model cases have the reference's parameter counts", "[models]") {
  GLIDE_REQUIRE_GOLDEN(path, "models.json");
  const auto models = read_json(path);
  for (const auto& [name, entry] : models.items()) {
    INFO("case " << name);
    glide::Text2ImUNet model(ModelConfig::from_json(entry.at("options").dump()));
    CHECK(parameter_count(*model) == entry.at("params").get<int64_t>());
  }
}

TEST_CASE("forward passes match the reference within 1e-4", "[models][parity]") {
  GLIDE_REQUIRE_GOLDEN(path, "models.json");
  const auto results = glide::parity::run_forward_cases(*glide::test::goldens_dir());
  REQUIRE(results.size() >= 5);
  for (const auto& r : results) {
    INFO(r.name << ": " << r.detail);
    CHECK(r.passed);
  }
}

TEST_CASE("forward rejects inputs of the wrong shape with a clear error", "[models]") {
  ModelConfig c = ModelConfig::from_json(
      R"({"image_size": 16, "num_channels": 32, "num_res_blocks": 1, "channel_mult": "1,2",
          "attention_resolutions": "8", "num_head_channels": 16, "text_ctx": 4, "xf_width": 32,
          "xf_layers": 1, "xf_heads": 2, "super_res": true})");
  glide::Text2ImUNet model(c);
  torch::InferenceMode guard;
  const auto tokens = torch::zeros({1, 4}, torch::kLong);
  const auto mask = torch::ones({1, 4}, torch::kBool);
  const auto text = model->encode_text(tokens, mask);
  const auto x = torch::zeros({1, 3, 16, 16});
  const auto t = torch::zeros({1}, torch::kLong);
  CHECK_THROWS_WITH(model->forward(x, t, text), Catch::Contains("low_res"));
  CHECK_THROWS_WITH(
      model->forward(torch::zeros({1, 4, 16, 16}), t, text, {torch::zeros({1, 3, 4, 4})}),
      Catch::Contains("expected (batch, 3, H, W)"));
  CHECK_THROWS_WITH(model->forward(x, torch::zeros({2}), text, {torch::zeros({1, 3, 4, 4})}),
                    Catch::Contains("timesteps"));
  CHECK_THROWS_WITH(model->encode_text(torch::zeros({1, 5}, torch::kLong), mask),
                    Catch::Contains("text_ctx=4"));
  CHECK_THROWS_WITH(model->encode_text(torch::full({1, 4}, 60000, torch::kLong), mask),
                    Catch::Contains("[0, 50257)"));
  CHECK(model->forward(x, t, text, {torch::zeros({1, 3, 4, 4})}).sizes() ==
        torch::IntArrayRef({1, 6, 16, 16}));
}

TEST_CASE("bind_network evaluates the bound model on each call's input", "[models]") {
  glide::Text2ImUNet model = small_superres_model();
  torch::InferenceMode guard;
  const auto text = random_text(model, 2);
  const glide::Conditioning cond{torch::randn({2, 3, 4, 4})};
  const glide::NetworkFn network = glide::bind_network(model, text, cond);
  for (int call = 0; call < 2; ++call) {
    const auto x = torch::randn({2, 3, 16, 16});
    const auto t = torch::tensor({10 + call, 500}, torch::kLong);
    const auto expected = model->forward(x, t, text, cond);
    const auto got = network(x, t);
    CHECK(torch::allclose(got, expected, 0, 1e-6));
  }
}

TEST_CASE("BoundNetwork reuses its binding for inputs of the same layout, with their values",
          "[models]") {
  glide::Text2ImUNet model = small_superres_model();
  torch::InferenceMode guard;
  const auto x = torch::randn({2, 3, 16, 16});
  const auto t = torch::tensor({10, 500}, torch::kLong);
  const auto first_text = random_text(model, 2);
  const glide::Conditioning first_cond{torch::randn({2, 3, 4, 4})};
  const auto first_low_res = first_cond.low_res.clone();
  const auto first_xf_out = first_text.xf_out.clone();
  glide::BoundNetwork bound;
  CHECK(torch::equal(bound.bind(model, first_text, first_cond)(x, t),
                     model->forward(x, t, first_text, first_cond)));
  CHECK_FALSE(bound.reused_last());

  // New values of the same shapes: the kept binding, evaluating the new inputs.
  const auto text = random_text(model, 2);
  const glide::Conditioning cond{torch::randn({2, 3, 4, 4})};
  glide::NetworkFn network = bound.bind(model, text, cond);
  CHECK(bound.reused_last());
  CHECK(torch::equal(network(x, t), model->forward(x, t, text, cond)));
  // ... without writing into the tensors the first call gave.
  CHECK(torch::equal(first_cond.low_res, first_low_res));
  CHECK(torch::equal(first_text.xf_out, first_xf_out));

  SECTION("another batch size binds afresh") {
    const auto text3 = random_text(model, 3);
    const glide::Conditioning cond3{torch::randn({3, 3, 4, 4})};
    const auto x3 = torch::randn({3, 3, 16, 16});
    const auto t3 = torch::tensor({1, 2, 3}, torch::kLong);
    CHECK(torch::equal(bound.bind(model, text3, cond3)(x3, t3),
                       model->forward(x3, t3, text3, cond3)));
    CHECK_FALSE(bound.reused_last());
  }
  SECTION("a conditioning input given or left out binds afresh") {
    glide::Conditioning more = cond;
    more.inpaint_mask = torch::ones({2, 1, 16, 16});
    bound.bind(model, text, more);
    CHECK_FALSE(bound.reused_last());
  }
  SECTION("weights moved to another dtype bind afresh") {
    model->set_compute_dtype(torch::kBFloat16);
    const auto half_text = random_text(model, 2);
    const glide::Conditioning half_cond{cond.low_res.to(torch::kBFloat16)};
    const auto half_x = x.to(torch::kBFloat16);
    CHECK(torch::equal(bound.bind(model, half_text, half_cond)(half_x, t),
                       model->forward(half_x, t, half_text, half_cond)));
    CHECK_FALSE(bound.reused_last());
  }
  SECTION("another model binds afresh") {
    bound.bind(small_superres_model(), text, cond);
    CHECK_FALSE(bound.reused_last());
  }
  SECTION("reset() and copies keep nothing") {
    glide::BoundNetwork copy = bound;
    copy.bind(model, text, cond);
    CHECK_FALSE(copy.reused_last());
    bound.reset();
    bound.bind(model, text, cond);
    CHECK_FALSE(bound.reused_last());
  }
}

TEST_CASE("GLIDE_CUDA_GRAPHS=0 turns CUDA graphs off; other values than 0 and 1 are refused",
          "[models]") {
  const glide::test::ScopedEnv env("GLIDE_CUDA_GRAPHS", std::nullopt);
  CHECK(glide::cuda_graphs_enabled());
  env.set("0");
  CHECK_FALSE(glide::cuda_graphs_enabled());
  env.set("1");
  CHECK(glide::cuda_graphs_enabled());
  // Anything else is refused by name, not guessed.
  env.set("off");
  glide::test::require_error([] { glide::cuda_graphs_enabled(); }, "GLIDE_CUDA_GRAPHS=\"off\"",
                             glide::Status::invalid_argument);
  env.set("");
  CHECK(glide::cuda_graphs_enabled());
}

TEST_CASE("reduced precision stays close to float32 on a golden case", "[models][precision]") {
  GLIDE_REQUIRE_GOLDEN(path, "forward_text2im.pt");
  const auto dir = *glide::test::goldens_dir();
  const auto file = glide::io::load_torch_file(path);
  auto run = [&](torch::Dtype dtype) {
    auto model = glide::parity::load_golden_model(dir, "text2im").model;
    model->set_compute_dtype(dtype);
    torch::InferenceMode guard;
    const auto text =
        model->encode_text(file.at("tokens").as_tensor(), file.at("mask").as_tensor());
    return model->forward(file.at("x").as_tensor(), file.at("t").as_tensor(), text);
  };
  const auto reference = run(torch::kFloat32);
  REQUIRE(glide::parity::max_abs_error(reference, file.at("out").as_tensor()) < 1e-4);
  const double scale = reference.abs().max().item<double>();
  // bfloat16 keeps 8 mantissa bits (~0.4% per rounding); a small net stays within a few percent.
  // On the CPU its default layout is channels-last (faster with oneDNN); NCHW is checked too.
  for (const char* layout : {"", "0"}) {
    const glide::test::ScopedEnv env("GLIDE_CHANNELS_LAST", std::string(layout));
    INFO("GLIDE_CHANNELS_LAST=" << layout);
    {
      auto model = glide::parity::load_golden_model(dir, "text2im").model;
      model->set_compute_dtype(torch::kBFloat16);
      const torch::Tensor conv = model->named_parameters()["input_blocks.0.0.weight"];
      CHECK(conv.is_contiguous(at::MemoryFormat::ChannelsLast) == (layout[0] == '\0'));
    }
    const auto bf16 = run(torch::kBFloat16);
    CHECK(bf16.scalar_type() == torch::kFloat32);
    const double bf16_error = glide::parity::max_abs_error(bf16, reference);
    WARN("bfloat16 vs float32 (GLIDE_CHANNELS_LAST=" << layout << "): max abs error " << bf16_error
                                                     << " (output max " << scale << ")");
    CHECK(bf16_error < 0.05 * scale);
    CHECK(bf16_error > 0);  // it really ran in reduced precision
  }
  try {
    const auto fp16 = run(torch::kFloat16);
    const double fp16_error = glide::parity::max_abs_error(fp16, reference);
    WARN("float16 vs float32: max abs error " << fp16_error);
    CHECK(fp16_error < 0.01 * scale);
  } catch (const c10::Error& e) {
    WARN("float16 is not supported by this LibTorch on CPU: " << e.what_without_backtrace());
  }
}

TEST_CASE("layers built without init have LibTorch's shapes; with init, LibTorch's weights",
          "[models]") {
  namespace nn = torch::nn;
  const auto conv_options = nn::Conv2dOptions(6, 10, 3).stride(2).padding(1);
  const auto conv1_options = nn::Conv1dOptions(8, 12, 1);
  // Outside a SkipWeightInit scope: the numbers LibTorch's own layers draw, in the same order.
  torch::manual_seed(7);
  const nn::Conv2d conv = glide::models::make_conv2d(conv_options);
  const nn::Conv1d conv1 = glide::models::make_conv1d(conv1_options);
  const nn::Linear linear = glide::models::make_linear(5, 4);
  torch::manual_seed(7);
  nn::Conv2d torch_conv(conv_options);
  const nn::Conv1d torch_conv1(conv1_options);
  nn::Linear torch_linear(5, 4);
  CHECK(torch::equal(conv->weight, torch_conv->weight));
  CHECK(torch::equal(conv->bias, torch_conv->bias));
  CHECK(torch::equal(conv1->weight, torch_conv1->weight));
  CHECK(torch::equal(linear->weight, torch_linear->weight));
  CHECK(torch::equal(linear->bias, torch_linear->bias));

  CHECK_FALSE(glide::models::weight_init_skipped());
  {
    const glide::models::SkipWeightInit skip;
    {
      const glide::models::SkipWeightInit nested;
      CHECK(glide::models::weight_init_skipped());
    }
    CHECK(glide::models::weight_init_skipped());  // the outer scope still skips
    nn::Conv2d bare = glide::models::make_conv2d(conv_options);
    const nn::Conv1d bare1 = glide::models::make_conv1d(conv1_options);
    nn::Linear bare_linear = glide::models::make_linear(5, 4);
    CHECK(bare->weight.sizes() == torch_conv->weight.sizes());
    CHECK(bare->bias.sizes() == torch_conv->bias.sizes());
    CHECK(bare->options.in_channels() == 6);
    CHECK(bare->options.out_channels() == 10);
    CHECK(bare1->weight.sizes() == torch_conv1->weight.sizes());
    CHECK(bare_linear->weight.sizes() == torch_linear->weight.sizes());
    CHECK(bare_linear->options.in_features() == 5);
    // Filled as a checkpoint fills them (through the registered parameters), they compute as
    // LibTorch's layers do.
    torch::NoGradGuard no_grad;
    for (auto& p : bare->named_parameters())
      p.value().copy_(torch_conv->named_parameters()[p.key()]);
    for (auto& p : bare_linear->named_parameters()) {
      p.value().copy_(torch_linear->named_parameters()[p.key()]);
    }
    const auto x = torch::randn({2, 6, 9, 9});
    CHECK(torch::equal(bare->forward(x), torch_conv->forward(x)));
    const auto v = torch::randn({3, 5});
    CHECK(torch::equal(bare_linear->forward(v), torch_linear->forward(v)));
  }
  CHECK_FALSE(glide::models::weight_init_skipped());
}

TEST_CASE("norm_act with an input bias normalizes x plus the bias, as a convolution's bias would",
          "[models]") {
  torch::manual_seed(3);
  torch::nn::GroupNorm norm(torch::nn::GroupNormOptions(32, 64).eps(1e-5));
  {
    torch::NoGradGuard no_grad;
    norm->weight.uniform_(0.5, 1.5);
    norm->bias.normal_(0.0, 0.1);
  }
  torch::NoGradGuard no_grad;
  const auto x = torch::randn({2, 64, 5, 5});
  const auto bias = torch::randn({64});
  const auto scale = torch::randn({2, 64, 1, 1}) * 0.3;
  const auto shift = torch::randn({2, 64, 1, 1}) * 0.3;
  const auto silu = glide::models::Activation::silu;
  // On the CPU the unfused composition runs; the fused kernel's bias folding is checked against
  // float64 by ctest -R cuda_emulated and glide-cuda-check.
  CHECK_FALSE(glide::models::norm_is_fused(x));
  const auto folded = glide::models::norm_act(x, norm, silu, scale, shift, bias);
  const auto added =
      glide::models::norm_act(x + bias.reshape({1, -1, 1, 1}), norm, silu, scale, shift);
  CHECK(torch::equal(folded, added));
  // The bias matters: a norm over groups of 2 channels does not cancel a per-channel shift.
  CHECK_FALSE(torch::allclose(folded, glide::models::norm_act(x, norm, silu, scale, shift)));
}
