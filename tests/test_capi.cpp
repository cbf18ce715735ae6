// The C ABI (capi/glide.h) called from C++: every entry point's results and error paths.
#include <ATen/Context.h>
#include <c10/util/Exception.h>

#include <algorithm>
#include <atomic>
#include <cfenv>
#include <cstring>
#include <fstream>
#include <map>
#include <new>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "capi_images.hpp"
#include "capi_internal.hpp"
#include "glide.h"
#include "glide/error.hpp"
#include "glide/io/checkpoint.hpp"
#include "glide/pipeline/default_models.hpp"
#include "glide/runtime.hpp"
#include "glide/tokenizer.hpp"
#include "glide/version.hpp"
#include "support/capi_calls.hpp"
#include "support/catch_torch.hpp"
#include "support/goldens.hpp"
#include "support/temp_dir.hpp"

namespace {

using glide::test::golden_config_json;
using glide::test::golden_pipeline;
using glide::test::require_failure;

std::string write_safetensors(const glide::test::ScratchDir& dir) {
  glide::StateDict state;
  state.insert("weight", torch::arange(6, torch::kFloat32).reshape({2, 3}));
  state.insert("steps", torch::tensor({7}, torch::kInt64));
  const std::string path = dir.file("small.safetensors");
  glide::io::save_safetensors(state, path, {{"zeta", "last"}, {"alpha", "first"}});
  return path;
}

}  // namespace

TEST_CASE("versions and status names", "[capi]") {
  CHECK(std::string(glide_version()) == GLIDE_VERSION_STRING);
  CHECK(std::string(glide_version()) == glide::version_string());
  CHECK(std::string(GLIDE_VERSION_STRING) == std::to_string(GLIDE_VERSION_MAJOR) + "." +
                                                 std::to_string(GLIDE_VERSION_MINOR) + "." +
                                                 std::to_string(GLIDE_VERSION_PATCH));
  CHECK(std::string(glide_status_name(GLIDE_OK)) == "ok");
  CHECK(std::string(glide_status_name(GLIDE_ERROR_NOT_FOUND)) == "not found");
  CHECK(std::string(glide_status_name(GLIDE_ERROR_INTERNAL)) == "internal error");
  CHECK(std::string(glide_status_name(GLIDE_ERROR_VERSION)) == "unknown struct version");
  CHECK(std::string(glide_status_name(GLIDE_ERROR_BUFFER_TOO_SMALL)) == "buffer too small");
  CHECK(std::string(glide_status_name(-1000)) == "unknown status");
  CHECK(std::string(glide_status_name(3)) == "unknown status");
  // glide_status mirrors glide::Status.
  CHECK(GLIDE_ERROR_CANCELLED == -static_cast<int>(glide::Status::cancelled));
  CHECK(GLIDE_ERROR_OUT_OF_MEMORY == -static_cast<int>(glide::Status::out_of_memory));
}

TEST_CASE("glide_tokenize matches the C++ tokenizer and checks its buffer", "[capi]") {
  const char* prompt = "an oil painting of a corgi";
  const auto expected = glide::Tokenizer::gpt2().encode(prompt);
  size_t count = 12345;

  SECTION("size query, then the ids") {
    REQUIRE(glide_tokenize(prompt, nullptr, 0, &count) == GLIDE_OK);
    CHECK(std::string(glide_error_last()).empty());
    REQUIRE(count == expected.size());
    std::vector<int64_t> ids(count);
    REQUIRE(glide_tokenize(prompt, ids.data(), ids.size(), &count) == GLIDE_OK);
    CHECK(ids == expected);
  }
  SECTION("a short buffer is left untouched and the count needed is returned") {
    std::vector<int64_t> ids(3, -1);
    require_failure(glide_tokenize(prompt, ids.data(), ids.size(), &count),
                    GLIDE_ERROR_BUFFER_TOO_SMALL, {"glide_tokenize", "capacity is 3"});
    CHECK(count == expected.size());
    CHECK(ids == std::vector<int64_t>(3, -1));
  }
  SECTION("empty text has no tokens") {
    REQUIRE(glide_tokenize("", nullptr, 0, &count) == GLIDE_OK);
    CHECK(count == 0);
  }
  SECTION("NULL arguments are named") {
    int64_t ids[4];
    require_failure(glide_tokenize(nullptr, ids, 4, &count), GLIDE_ERROR_INVALID_ARGUMENT,
                    {"glide_tokenize", "'utf8' is NULL"});
    require_failure(glide_tokenize(prompt, ids, 4, nullptr), GLIDE_ERROR_INVALID_ARGUMENT,
                    {"'count' is NULL"});
    require_failure(glide_tokenize(prompt, nullptr, 4, &count), GLIDE_ERROR_INVALID_ARGUMENT,
                    {"'ids' is NULL but capacity is 4"});
  }
  SECTION("text that is not UTF-8") {
    require_failure(glide_tokenize("ab\xff", nullptr, 0, &count), GLIDE_ERROR_INVALID_ARGUMENT,
                    {"byte offset 2"});
  }
  SECTION("a success clears the previous message") {
    REQUIRE(glide_tokenize(nullptr, nullptr, 0, &count) != GLIDE_OK);
    REQUIRE(std::string(glide_error_last()) != "");
    REQUIRE(glide_tokenize(prompt, nullptr, 0, &count) == GLIDE_OK);
    CHECK(std::string(glide_error_last()).empty());
  }
}

TEST_CASE("glide_tokenize_padded, glide_detokenize and glide_tokenizer_vocab", "[capi]") {
  const char* prompt = "a red circle on a blue background";
  const auto& tokenizer = glide::Tokenizer::gpt2();
  const auto padded = tokenizer.padded_tokens_and_mask(tokenizer.encode(prompt), 128);

  std::vector<int64_t> tokens(128);
  bool mask[128];
  REQUIRE(glide_tokenize_padded(prompt, 128, tokens.data(), mask) == GLIDE_OK);
  CHECK(tokens == padded.tokens);
  CHECK(std::vector<bool>(mask, mask + 128) == padded.mask);
  REQUIRE(glide_tokenize_padded(prompt, 128, tokens.data(), nullptr) == GLIDE_OK);
  require_failure(glide_tokenize_padded(prompt, 0, tokens.data(), mask),
                  GLIDE_ERROR_INVALID_ARGUMENT, {"text_ctx is 0"});
  // Sizes no buffer has are bad arguments, not internal errors (they failed inside std::vector).
  require_failure(glide_tokenize_padded(prompt, int64_t{1} << 62, tokens.data(), mask),
                  GLIDE_ERROR_INVALID_ARGUMENT, {"text_ctx is 4611686018427387904"});
  require_failure(glide_tokenize_padded(prompt, 128, nullptr, mask), GLIDE_ERROR_INVALID_ARGUMENT,
                  {"'tokens' is NULL"});
  require_failure(glide_tokenize_padded(nullptr, 128, tokens.data(), mask),
                  GLIDE_ERROR_INVALID_ARGUMENT, {"'utf8' is NULL"});

  const auto ids = tokenizer.encode(prompt);
  size_t length = 0;
  REQUIRE(glide_detokenize(ids.data(), ids.size(), nullptr, 0, &length) == GLIDE_OK);
  REQUIRE(length == std::strlen(prompt));
  std::vector<char> text(length + 1, 'x');
  require_failure(glide_detokenize(ids.data(), ids.size(), text.data(), length, &length),
                  GLIDE_ERROR_BUFFER_TOO_SMALL, {"needs"});
  CHECK(text[0] == 'x');
  REQUIRE(glide_detokenize(ids.data(), ids.size(), text.data(), text.size(), &length) == GLIDE_OK);
  CHECK(std::string(text.data()) == prompt);
  REQUIRE(glide_detokenize(nullptr, 0, nullptr, 0, &length) == GLIDE_OK);
  CHECK(length == 0);
  // Id 188 is the byte 0 (as glide.h says): the length counts it, strlen would stop there.
  const int64_t with_nul[] = {64, 188, 65};
  char nul_text[8] = {};
  REQUIRE(glide_detokenize(with_nul, 3, nul_text, sizeof nul_text, &length) == GLIDE_OK);
  CHECK(length == 3);
  CHECK(std::string(nul_text, length) == std::string("a\0b", 3));
  require_failure(glide_detokenize(ids.data(), SIZE_MAX, nullptr, 0, &length),
                  GLIDE_ERROR_INVALID_ARGUMENT, {"count is", "at most 16777216"});
  const int64_t bad = 99999999;
  require_failure(glide_detokenize(&bad, 1, nullptr, 0, &length), GLIDE_ERROR_INVALID_ARGUMENT,
                  {"glide_detokenize"});
  require_failure(glide_detokenize(nullptr, 2, nullptr, 0, &length), GLIDE_ERROR_INVALID_ARGUMENT,
                  {"'ids' is NULL"});

  int64_t n_vocab = 0, end_token = 0;
  REQUIRE(glide_tokenizer_vocab(&n_vocab, &end_token) == GLIDE_OK);
  CHECK(n_vocab == 50257);
  CHECK(end_token == 50256);
  REQUIRE(glide_tokenizer_vocab(nullptr, nullptr) == GLIDE_OK);
}

TEST_CASE("checkpoint inspection through the C API", "[capi]") {
  glide::test::ScratchDir dir("glide-capi");
  const std::string path = write_safetensors(dir);
  glide_checkpoint* cp = nullptr;
  REQUIRE(glide_checkpoint_open(path.c_str(), &cp) == GLIDE_OK);
  REQUIRE(cp != nullptr);

  glide_checkpoint_info info{};
  info.version = GLIDE_CHECKPOINT_INFO_VERSION;
  REQUIRE(glide_checkpoint_get_info(cp, &info) == GLIDE_OK);
  CHECK(info.version == GLIDE_CHECKPOINT_INFO_VERSION);
  CHECK(info.format == GLIDE_CHECKPOINT_SAFETENSORS);
  CHECK(std::string(info.format_name) == "safetensors");
  CHECK(info.tensor_count == 2);
  CHECK(info.parameter_count == 7);
  CHECK(info.metadata_count == 2);

  glide_tensor_info t{};
  t.version = GLIDE_TENSOR_INFO_VERSION;
  REQUIRE(glide_checkpoint_tensor(cp, 0, &t) == GLIDE_OK);
  CHECK(std::string(t.name) == "weight");
  CHECK(std::string(t.dtype) == "float32");
  REQUIRE(t.ndim == 2);
  CHECK(t.shape[0] == 2);
  CHECK(t.shape[1] == 3);
  CHECK(t.numel == 6);
  REQUIRE(glide_checkpoint_tensor(cp, 1, &t) == GLIDE_OK);
  CHECK(std::string(t.name) == "steps");
  CHECK(std::string(t.dtype) == "int64");
  require_failure(glide_checkpoint_tensor(cp, 2, &t), GLIDE_ERROR_INVALID_ARGUMENT,
                  {"index 2 is out of range", "2 tensors"});

  const char* key = nullptr;
  const char* value = nullptr;
  REQUIRE(glide_checkpoint_metadata(cp, 0, &key, &value) == GLIDE_OK);
  CHECK(std::string(key) == "alpha");
  CHECK(std::string(value) == "first");
  REQUIRE(glide_checkpoint_metadata(cp, 1, &key, &value) == GLIDE_OK);
  CHECK(std::string(key) == "zeta");
  require_failure(glide_checkpoint_metadata(cp, 2, &key, &value), GLIDE_ERROR_INVALID_ARGUMENT,
                  {"metadata entries"});
  require_failure(glide_checkpoint_metadata(cp, 0, nullptr, &value), GLIDE_ERROR_INVALID_ARGUMENT,
                  {"'key' is NULL"});

  SECTION("wrong struct versions are refused and the struct is left alone") {
    glide_checkpoint_info old{};
    old.version = 0;
    require_failure(glide_checkpoint_get_info(cp, &old), GLIDE_ERROR_VERSION,
                    {"info->version is 0", "versions 1 to 1"});
    CHECK(old.tensor_count == 0);
    old.version = GLIDE_CHECKPOINT_INFO_VERSION + 1;
    require_failure(glide_checkpoint_get_info(cp, &old), GLIDE_ERROR_VERSION,
                    {"info->version is 2"});
    t.version = 77;
    require_failure(glide_checkpoint_tensor(cp, 0, &t), GLIDE_ERROR_VERSION, {"77"});
  }
  SECTION("NULL arguments") {
    require_failure(glide_checkpoint_get_info(nullptr, &info), GLIDE_ERROR_INVALID_ARGUMENT,
                    {"glide_checkpoint_get_info", "'checkpoint' is NULL"});
    require_failure(glide_checkpoint_get_info(cp, nullptr), GLIDE_ERROR_INVALID_ARGUMENT,
                    {"'info' is NULL"});
    require_failure(glide_checkpoint_tensor(nullptr, 0, &t), GLIDE_ERROR_INVALID_ARGUMENT,
                    {"'checkpoint' is NULL"});
  }
  glide_checkpoint_free(cp);
  glide_checkpoint_free(nullptr);
}

TEST_CASE("opening missing, malformed and NULL checkpoints", "[capi]") {
  glide::test::ScratchDir dir("glide-capi");
  glide_checkpoint* cp = reinterpret_cast<glide_checkpoint*>(&dir);  // must be reset to NULL

  const std::string missing = dir.file("missing.pt");
  require_failure(glide_checkpoint_open(missing.c_str(), &cp), GLIDE_ERROR_NOT_FOUND,
                  {"glide_checkpoint_open", "missing.pt"});
  CHECK(cp == nullptr);
  // A name that is not UTF-8 is quoted with its stray bytes escaped: the message stays UTF-8.
  const std::string latin1 = dir.file("caf\xe9.pt");
  require_failure(glide_checkpoint_open(latin1.c_str(), &cp), GLIDE_ERROR_NOT_FOUND,
                  {"caf\\xe9.pt"});

  const std::string junk = dir.file("junk.safetensors");
  std::ofstream(junk) << "this is not a checkpoint at all";
  cp = reinterpret_cast<glide_checkpoint*>(&dir);
  require_failure(glide_checkpoint_open(junk.c_str(), &cp), GLIDE_ERROR_INVALID_FORMAT,
                  {"junk.safetensors"});
  CHECK(cp == nullptr);

  // Names and metadata holding a NUL byte would reach C cut short: refused, for each kind.
  const auto with_nul = [&](const std::string& name, const glide::StateDict& state,
                            const std::map<std::string, std::string>& metadata) {
    const std::string path = dir.file(name);
    glide::io::save_safetensors(state, path, metadata);
    return path;
  };
  glide::StateDict plain;
  plain.insert("weight", torch::zeros({2}));
  glide::StateDict nul_name;
  nul_name.insert(std::string("ab\0cd", 5), torch::zeros({2}));
  for (const auto& [path, what] :
       {std::pair{with_nul("name.safetensors", nul_name, {}), "tensor name 'ab\\0...'"},
        std::pair{with_nul("key.safetensors", plain, {{std::string("k\0x", 3), "v"}}),
                  "metadata key 'k\\0...'"},
        std::pair{with_nul("value.safetensors", plain, {{"k", std::string("v\0w", 3)}}),
                  "metadata key 'k': its value 'v\\0...'"}}) {
    cp = reinterpret_cast<glide_checkpoint*>(&dir);
    require_failure(glide_checkpoint_open(path.c_str(), &cp), GLIDE_ERROR_INVALID_FORMAT,
                    {what, "holds a NUL byte"});
    CHECK(cp == nullptr);
  }

  require_failure(glide_checkpoint_open(nullptr, &cp), GLIDE_ERROR_INVALID_ARGUMENT,
                  {"'path' is NULL"});
  require_failure(glide_checkpoint_open(junk.c_str(), nullptr), GLIDE_ERROR_INVALID_ARGUMENT,
                  {"'checkpoint' is NULL"});
}

TEST_CASE("a golden .pt checkpoint through the C API", "[capi]") {
  GLIDE_REQUIRE_GOLDEN(path, "model_text2im.pt");
  glide_checkpoint* cp = nullptr;
  REQUIRE(glide_checkpoint_open(path.c_str(), &cp) == GLIDE_OK);
  glide_checkpoint_info info{GLIDE_CHECKPOINT_INFO_VERSION, 0, nullptr, 0, 0, 0};
  REQUIRE(glide_checkpoint_get_info(cp, &info) == GLIDE_OK);
  CHECK(info.format == GLIDE_CHECKPOINT_TORCH_ZIP);
  CHECK(std::string(info.format_name) == "torch-zip");
  CHECK(info.tensor_count == 183);
  CHECK(info.parameter_count == 2484198);
  CHECK(info.metadata_count == 0);
  const auto expected = glide::load_checkpoint(path);
  for (size_t i = 0; i < info.tensor_count; ++i) {
    glide_tensor_info t{};
    t.version = GLIDE_TENSOR_INFO_VERSION;
    REQUIRE(glide_checkpoint_tensor(cp, i, &t) == GLIDE_OK);
    const auto& [name, tensor] = expected.tensors.items()[i];
    CHECK(t.name == name);
    CHECK(std::vector<int64_t>(t.shape, t.shape + t.ndim) == tensor.sizes().vec());
  }
  glide_checkpoint_free(cp);
}

TEST_CASE("glide_generate_params_init fills the reference defaults", "[capi]") {
  glide_generate_params p;
  std::memset(&p, 0xab, sizeof p);
  REQUIRE(glide_generate_params_init(&p, GLIDE_GENERATE_PARAMS_VERSION) == GLIDE_OK);
  CHECK(p.version == GLIDE_GENERATE_PARAMS_VERSION);
  CHECK(p.prompts == nullptr);
  CHECK(p.prompt_count == 0);
  CHECK(p.batch_size == 1);
  CHECK(p.negative_prompt == nullptr);
  CHECK(std::string(p.base.sampler) == "ddpm");
  CHECK(std::string(p.base.respacing) == "100");
  CHECK(p.base.guided);
  CHECK(p.base.guidance_scale == 3.0);
  CHECK(p.base.guidance_rescale == 0.0);
  CHECK(std::string(p.base.thresholding) == "clip");
  CHECK(p.base.dynamic_percentile == 0.995);
  CHECK(p.base.temperature == 1.0);
  CHECK(std::string(p.upsampler.sampler) == "ddim");
  CHECK(std::string(p.upsampler.respacing) == "fast27");
  CHECK_FALSE(p.upsampler.guided);
  CHECK(p.upsampler.eta < 0.0);
  CHECK(p.upsampler.temperature == 0.997);
  CHECK(p.upsample);
  CHECK(p.seed == 0);
  CHECK(p.device == nullptr);
  CHECK(p.dtype == nullptr);
  CHECK(p.progress == nullptr);
  CHECK(p.progress_user_data == nullptr);
  CHECK(p.save_path == nullptr);
  CHECK_FALSE(p.overwrite);

  SECTION("unknown versions leave the struct untouched") {
    glide_generate_params q;
    std::memset(&q, 0x5a, sizeof q);
    require_failure(glide_generate_params_init(&q, 0), GLIDE_ERROR_VERSION,
                    {"glide_generate_params_init", "params->version is 0"});
    require_failure(glide_generate_params_init(&q, GLIDE_GENERATE_PARAMS_VERSION + 1),
                    GLIDE_ERROR_VERSION, {"versions 1 to 2"});
    const auto* bytes = reinterpret_cast<const unsigned char*>(&q);
    CHECK(std::all_of(bytes, bytes + sizeof q, [](unsigned char b) { return b == 0x5a; }));
  }
  SECTION("version 1 fills version 1's fields alone: a caller's older struct is shorter") {
    glide_generate_params q;
    std::memset(&q, 0x5a, sizeof q);
    REQUIRE(glide_generate_params_init(&q, 1) == GLIDE_OK);
    CHECK(q.version == 1);
    CHECK(std::string(q.base.sampler) == "ddpm");
    CHECK(q.progress_user_data == nullptr);
    const auto* tail = reinterpret_cast<const unsigned char*>(&q.save_path);
    const auto* end = reinterpret_cast<const unsigned char*>(&q) + sizeof q;
    CHECK(std::all_of(tail, end, [](unsigned char b) { return b == 0x5a; }));
  }
  require_failure(glide_generate_params_init(nullptr, 1), GLIDE_ERROR_INVALID_ARGUMENT,
                  {"'params' is NULL"});
}

TEST_CASE("glide_generate_params_validate checks what C can", "[capi]") {
  glide_generate_params p;
  REQUIRE(glide_generate_params_init(&p, GLIDE_GENERATE_PARAMS_VERSION) == GLIDE_OK);
  require_failure(glide_generate_params_validate(&p), GLIDE_ERROR_INVALID_ARGUMENT,
                  {"glide_generate_params_validate", "prompt_count is 0"});
  const char* prompts[] = {"a corgi", nullptr};
  p.prompts = prompts;
  p.prompt_count = 1;
  REQUIRE(glide_generate_params_validate(&p) == GLIDE_OK);

  SECTION("a NULL prompt is named by index") {
    p.prompt_count = 2;
    p.batch_size = 2;
    require_failure(glide_generate_params_validate(&p), GLIDE_ERROR_INVALID_ARGUMENT,
                    {"params->prompts[1] is NULL"});
  }
  SECTION("NULL prompts array") {
    p.prompts = nullptr;
    require_failure(glide_generate_params_validate(&p), GLIDE_ERROR_INVALID_ARGUMENT,
                    {"params->prompts is NULL"});
  }
  SECTION("NULL stage strings") {
    p.base.sampler = nullptr;
    require_failure(glide_generate_params_validate(&p), GLIDE_ERROR_INVALID_ARGUMENT,
                    {"params->base.sampler is NULL"});
    p.base.sampler = "ddim";
    p.upsampler.thresholding = nullptr;
    require_failure(glide_generate_params_validate(&p), GLIDE_ERROR_INVALID_ARGUMENT,
                    {"params->upsampler.thresholding is NULL"});
  }
  SECTION("batch size") {
    p.batch_size = 0;
    require_failure(glide_generate_params_validate(&p), GLIDE_ERROR_INVALID_ARGUMENT,
                    {"batch_size is 0"});
  }
  SECTION("a prompt_count other than 1 or batch_size, refused before any prompt is read") {
    const char* three[] = {"a", "b", "c"};
    p.prompts = three;
    p.prompt_count = 3;
    p.batch_size = 2;
    require_failure(glide_generate_params_validate(&p), GLIDE_ERROR_INVALID_ARGUMENT,
                    {"params->prompt_count is 3 but params->batch_size is 2"});
  }
  SECTION("wrong version and NULL") {
    p.version = 9;
    require_failure(glide_generate_params_validate(&p), GLIDE_ERROR_VERSION,
                    {"params->version is 9"});
    require_failure(glide_generate_params_validate(nullptr), GLIDE_ERROR_INVALID_ARGUMENT,
                    {"'params' is NULL"});
  }
}

TEST_CASE("a pipeline without checkpoints uses the shipped default models", "[capi]") {
  glide_pipeline_params pp;
  REQUIRE(glide_pipeline_params_init(&pp, GLIDE_PIPELINE_PARAMS_VERSION) == GLIDE_OK);
  glide_pipeline* pipeline = nullptr;
  const int rc = glide_pipeline_create(&pp, &pipeline);
  if (rc == GLIDE_ERROR_NOT_FOUND) {
    CHECK(std::string(glide_error_last()).find("GLIDE_MODEL_DIR") != std::string::npos);
    WARN("skipped: " << glide_error_last());
    return;
  }
  REQUIRE(rc == GLIDE_OK);
  glide_generate_params gp;
  REQUIRE(glide_generate_params_init(&gp, GLIDE_GENERATE_PARAMS_VERSION) == GLIDE_OK);
  const char* prompts[] = {"a green triangle on a yellow background"};
  gp.prompts = prompts;
  gp.prompt_count = 1;
  gp.base.respacing = "4";
  gp.upsampler.respacing = "4";
  glide_images* images = nullptr;
  REQUIRE(glide_generate(pipeline, &gp, &images) == GLIDE_OK);
  CHECK(images->count == 1);
  CHECK(images->width == 128);
  CHECK(images->height == 128);
  // Releasing the networks kept from that call changes nothing in the next one's images.
  REQUIRE(glide_pipeline_release_cache(pipeline) == GLIDE_OK);
  glide_images* again = nullptr;
  REQUIRE(glide_generate(pipeline, &gp, &again) == GLIDE_OK);
  const auto bytes = static_cast<size_t>(images->count * images->height * images->width * 3);
  CHECK(std::equal(images->pixels, images->pixels + bytes, again->pixels));
  glide_images_free(again);
  glide_images_free(images);
  glide_pipeline_free(pipeline);
}

TEST_CASE("pipeline and generation calls check their arguments", "[capi]") {
  glide_pipeline_params pp;
  REQUIRE(glide_pipeline_params_init(&pp, GLIDE_PIPELINE_PARAMS_VERSION) == GLIDE_OK);
  CHECK(pp.base_checkpoint == nullptr);
  CHECK(pp.base_config == nullptr);
  CHECK(pp.upsampler_config == nullptr);
  CHECK(std::string(pp.device) == "cpu");
  CHECK(std::string(pp.dtype) == "float32");
  CHECK(pp.num_threads == 0);
  require_failure(glide_pipeline_params_init(&pp, 5), GLIDE_ERROR_VERSION, {"version is 5"});

  glide_pipeline* pipeline = reinterpret_cast<glide_pipeline*>(&pp);  // must be reset to NULL
  pp.base_checkpoint = "base.pt";
  pp.num_threads = -2;
  require_failure(glide_pipeline_create(&pp, &pipeline), GLIDE_ERROR_INVALID_ARGUMENT,
                  {"num_threads is -2"});
  pp.num_threads = 0;
  // Devices and dtypes are checked before any loading (a bad device name was an internal error).
  pp.device = "tpu";
  require_failure(glide_pipeline_create(&pp, &pipeline), GLIDE_ERROR_INVALID_ARGUMENT,
                  {"params->device is \"tpu\""});
  pp.device = "cpu:1";  // LibTorch accepts and ignores a CPU index
  require_failure(glide_pipeline_create(&pp, &pipeline), GLIDE_ERROR_INVALID_ARGUMENT,
                  {"params->device is \"cpu:1\""});
  if (!at::hasCUDA()) {
    pp.device = "cuda";  // the C argument's name, not the library's
    require_failure(glide_pipeline_create(&pp, &pipeline), GLIDE_ERROR_INVALID_ARGUMENT,
                    {"params->device is cuda, but this LibTorch has no CUDA support"});
  }
  pp.device = "cpu";
  pp.dtype = "float16";
  require_failure(glide_pipeline_create(&pp, &pipeline), GLIDE_ERROR_INVALID_ARGUMENT,
                  {"params->dtype is float16 and params->device is cpu"});
  pp.dtype = "float32";
  pipeline = reinterpret_cast<glide_pipeline*>(&pp);
  require_failure(glide_pipeline_create(&pp, &pipeline), GLIDE_ERROR_NOT_FOUND,
                  {"glide_pipeline_create", "base.pt"});
  pp.base_config = "tiny";
  require_failure(glide_pipeline_create(&pp, &pipeline), GLIDE_ERROR_INVALID_ARGUMENT,
                  {"params->base_config is 'tiny', neither a preset"});
  // A config's faults name the field it is in, the upsampler's checked before any loading.
  pp.base_config = nullptr;
  pp.upsampler_config = "{bad";
  require_failure(glide_pipeline_create(&pp, &pipeline), GLIDE_ERROR_INVALID_ARGUMENT,
                  {"params->upsampler_config: ", "not valid JSON"});
  pp.upsampler_config = R"({"diffusion_steps": 0})";
  require_failure(glide_pipeline_create(&pp, &pipeline), GLIDE_ERROR_INVALID_ARGUMENT,
                  {"params->upsampler_config: ", "diffusion_steps"});
  pp.upsampler_config = nullptr;
  CHECK(pipeline == nullptr);
  require_failure(glide_pipeline_create(nullptr, &pipeline), GLIDE_ERROR_INVALID_ARGUMENT,
                  {"'params' is NULL"});
  require_failure(glide_pipeline_create(&pp, nullptr), GLIDE_ERROR_INVALID_ARGUMENT,
                  {"'pipeline' is NULL"});
  pp.version = 0;
  require_failure(glide_pipeline_create(&pp, &pipeline), GLIDE_ERROR_VERSION,
                  {"params->version is 0"});
  glide_pipeline_free(nullptr);
  require_failure(glide_pipeline_release_cache(nullptr), GLIDE_ERROR_INVALID_ARGUMENT,
                  {"'pipeline' is NULL"});

  glide_generate_params gp;
  REQUIRE(glide_generate_params_init(&gp, GLIDE_GENERATE_PARAMS_VERSION) == GLIDE_OK);
  const char* prompt = "a corgi";
  gp.prompts = &prompt;
  gp.prompt_count = 1;
  gp.device = "cuda:abc";
  require_failure(glide_generate_params_validate(&gp), GLIDE_ERROR_INVALID_ARGUMENT,
                  {"params->device is \"cuda:abc\""});
  gp.device = nullptr;
  glide_images* images = reinterpret_cast<glide_images*>(&gp);
  require_failure(glide_generate(nullptr, &gp, &images), GLIDE_ERROR_INVALID_ARGUMENT,
                  {"glide_generate", "'pipeline' is NULL"});
  CHECK(images == nullptr);
  uint8_t pixels[4 * 4 * 3] = {};
  glide_images input{1, 4, 4, 3, pixels};

  images = reinterpret_cast<glide_images*>(&gp);
  require_failure(glide_upsample(nullptr, &gp, &input, &images), GLIDE_ERROR_INVALID_ARGUMENT,
                  {"glide_upsample", "'pipeline' is NULL"});
  CHECK(images == nullptr);
  require_failure(glide_inpaint(nullptr, &gp, &input, &input, &images),
                  GLIDE_ERROR_INVALID_ARGUMENT, {"glide_inpaint", "'pipeline' is NULL"});
  require_failure(glide_generate(nullptr, &gp, nullptr), GLIDE_ERROR_INVALID_ARGUMENT, {"is NULL"});
}

TEST_CASE("library-owned images and glide_images_free", "[capi]") {
  const auto t = torch::arange(2 * 3 * 4 * 3, torch::kInt64)
                     .remainder(251)
                     .to(torch::kUInt8)
                     .reshape({2, 3, 4, 3});
  glide_images* images =
      glide::capi::images_from_tensor(t.transpose(1, 2).contiguous().transpose(1, 2));
  REQUIRE(images != nullptr);
  CHECK(images->count == 2);
  CHECK(images->height == 3);
  CHECK(images->width == 4);
  CHECK(images->channels == 3);
  CHECK(std::memcmp(images->pixels, t.data_ptr<uint8_t>(), t.numel()) == 0);
  glide_images_free(images);
  glide_images_free(nullptr);
  CHECK_THROWS_AS(glide::capi::images_from_tensor(torch::zeros({2, 3}, torch::kUInt8)),
                  glide::Error);
  CHECK_THROWS_AS(glide::capi::images_from_tensor(torch::zeros({1, 2, 2, 3})), glide::Error);
}

TEST_CASE("no exception crosses the C ABI", "[capi]") {
  using glide::capi::guarded;
  require_failure(guarded("f", [] { throw glide::Error(glide::Status::io_error, "disk"); }),
                  GLIDE_ERROR_IO, {"f: disk"});
  require_failure(guarded("f", [] { throw std::bad_alloc(); }), GLIDE_ERROR_OUT_OF_MEMORY,
                  {"out of memory"});
  require_failure(guarded("f", [] { TORCH_CHECK(false, "torch says no"); }), GLIDE_ERROR_INTERNAL,
                  {"f: LibTorch: torch says no"});
  // LibTorch 1.13's CPU allocator says it ran out of memory with a plain c10::Error: out of
  // memory in C too (as in the CLI and Python), in glide's words and with what to try.
  require_failure(guarded("f",
                          [] {
                            TORCH_CHECK(false,
                                        "[enforce fail at alloc_cpu.cpp:75] "
                                        "DefaultCPUAllocator: can't allocate memory: you "
                                        "tried to allocate 4096 bytes. Error code 12");
                          }),
                  GLIDE_ERROR_OUT_OF_MEMORY,
                  {"f: could not allocate 4096 bytes; try smaller images or a smaller batch"});
  require_failure(guarded("f", [] { throw std::runtime_error("plain"); }), GLIDE_ERROR_INTERNAL,
                  {"f: plain"});
  require_failure(guarded("f", [] { throw 42; }), GLIDE_ERROR_INTERNAL,
                  {"f: an unknown exception"});
  // A LibTorch failure from a real tensor operation (a c10::Error or, in some LibTorch versions,
  // a std::runtime_error) through the same path.
  require_failure(guarded("g", [] { (void)torch::ones({2}).view({3}); }), GLIDE_ERROR_INTERNAL,
                  {"g: ", "invalid for input of size 2"});
  CHECK(guarded("f", [] {}) == GLIDE_OK);
  CHECK(std::string(glide_error_last()).empty());
}

TEST_CASE("error messages are per thread", "[capi]") {
  size_t count;
  REQUIRE(glide_tokenize(nullptr, nullptr, 0, &count) == GLIDE_ERROR_INVALID_ARGUMENT);
  const std::string mine = glide_error_last();
  REQUIRE(mine.find("'utf8' is NULL") != std::string::npos);

  std::string other_before, other_after;
  std::thread worker([&] {
    other_before = glide_error_last();
    glide_checkpoint* cp = nullptr;
    glide_checkpoint_open(nullptr, &cp);
    other_after = glide_error_last();
  });
  worker.join();
  CHECK(other_before.empty());
  CHECK(other_after.find("'path' is NULL") != std::string::npos);
  CHECK(std::string(glide_error_last()) == mine);

  // Many threads failing at once each see only their own message.
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([i, &wrong] {
      for (int k = 0; k < 200; ++k) {
        const std::string bad = "x" + std::string(static_cast<size_t>(i), 'y') + "\xff";
        size_t n;
        glide_tokenize(bad.c_str(), nullptr, 0, &n);
        const std::string expected = "byte offset " + std::to_string(bad.size() - 1);
        if (std::string(glide_error_last()).find(expected) == std::string::npos) ++wrong;
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(wrong == 0);
}

namespace {

struct ProgressLog {
  int calls = 0;
  int cancel_after = -1;
  std::string last_stage;
};

bool log_progress(const char* stage, int64_t step, int64_t total, void* user_data) {
  auto* log = static_cast<ProgressLog*>(user_data);
  ++log->calls;
  log->last_stage = stage;
  CHECK(step >= 1);
  CHECK(step <= total);
  return log->cancel_after < 0 || log->calls < log->cancel_after;
}

bool round_upward(const char*, int64_t, int64_t, void*) {
  return std::fesetround(FE_UPWARD) == 0;
}

}  // namespace

TEST_CASE("C generation runs the pipeline on the golden models", "[capi][pipeline]") {
  GLIDE_REQUIRE_GOLDEN(base_path, "model_text2im.pt");
  GLIDE_REQUIRE_GOLDEN(upsampler_path, "model_superres.pt");
  glide_pipeline* pipeline = golden_pipeline(base_path, upsampler_path);

  glide_generate_params gp;
  REQUIRE(glide_generate_params_init(&gp, GLIDE_GENERATE_PARAMS_VERSION) == GLIDE_OK);
  const char* prompts[] = {"a red circle on a blue background", "a green square"};
  gp.prompts = prompts;
  gp.prompt_count = 2;
  gp.batch_size = 2;
  gp.base.respacing = "5";
  gp.upsampler.respacing = "4";
  gp.seed = 7;
  ProgressLog log;
  gp.progress = log_progress;
  gp.progress_user_data = &log;

  glide_images* images = nullptr;
  REQUIRE(glide_generate(pipeline, &gp, &images) == GLIDE_OK);
  REQUIRE(images != nullptr);
  CHECK(images->count == 2);
  CHECK(images->height == 32);  // the golden upsampler's size
  CHECK(images->width == 32);
  CHECK(images->channels == 3);
  CHECK(log.calls == 5 + 4);
  CHECK(log.last_stage == "upsampler");

  // The same call again gives the same pixels (seeded), and a different seed other pixels.
  glide_images* again = nullptr;
  REQUIRE(glide_generate(pipeline, &gp, &again) == GLIDE_OK);
  const size_t bytes = 2 * 32 * 32 * 3;
  CHECK(std::memcmp(images->pixels, again->pixels, bytes) == 0);
  glide_images_free(again);
  gp.seed = 8;
  REQUIRE(glide_generate(pipeline, &gp, &again) == GLIDE_OK);
  CHECK(std::memcmp(images->pixels, again->pixels, bytes) != 0);
  glide_images_free(again);

  // Upsampling given images: 2 base-size images in, 2 upsampled out.
  std::vector<uint8_t> small(2 * 16 * 16 * 3, 128);
  const glide_images input{2, 16, 16, 3, small.data()};
  glide_images* upsampled = nullptr;
  REQUIRE(glide_upsample(pipeline, &gp, &input, &upsampled) == GLIDE_OK);
  CHECK(upsampled->height == 32);
  CHECK(upsampled->count == 2);
  glide_images_free(upsampled);
  // The inputs set the batch size: one prompt per input image needs no batch_size, and a
  // batch_size that differs is not read.
  std::vector<uint8_t> three_small(3 * 16 * 16 * 3, 64);
  const glide_images three{3, 16, 16, 3, three_small.data()};
  glide_generate_params per_image = gp;
  const char* three_prompts[] = {"a", "b", "c"};
  per_image.prompts = three_prompts;
  per_image.prompt_count = 3;
  per_image.batch_size = 1;
  const int per_image_rc = glide_upsample(pipeline, &per_image, &three, &upsampled);
  INFO(glide_error_last());
  REQUIRE(per_image_rc == GLIDE_OK);
  CHECK(upsampled->count == 3);
  glide_images_free(upsampled);
  per_image.prompt_count = 1;
  per_image.batch_size = 7;
  per_image.base.sampler = "no such sampler";  // the base stage is not read either
  REQUIRE(glide_upsample(pipeline, &per_image, &three, &upsampled) == GLIDE_OK);
  CHECK(upsampled->count == 3);
  glide_images_free(upsampled);
  per_image.base = gp.base;
  // Refusals speak of the inputs, not of the batch_size the call does not read.
  per_image.prompt_count = 2;
  require_failure(glide_upsample(pipeline, &per_image, &three, &upsampled),
                  GLIDE_ERROR_INVALID_ARGUMENT,
                  {"params->prompt_count is 2 for 3 input images; give one prompt per input image "
                   "or one for all"});
  std::vector<uint8_t> many_small(300 * 2 * 2 * 3, 64);
  const glide_images many{300, 2, 2, 3, many_small.data()};
  per_image.prompt_count = 1;
  require_failure(glide_upsample(pipeline, &per_image, &many, &upsampled),
                  GLIDE_ERROR_INVALID_ARGUMENT,
                  {"input holds 300 images; one call upsamples at most 256"});
  // A size whose byte count overflows int64 is a bad argument (it was LibTorch's internal error).
  const glide_images huge{1, INT64_MAX / 2, 16, 3, small.data()};
  require_failure(glide_upsample(pipeline, &gp, &huge, &upsampled), GLIDE_ERROR_INVALID_ARGUMENT,
                  {"input is 1 images of", "at most 65536 pixels a side"});
  const glide_images wide{1, 16, 5000, 3, small.data()};  // refused before its pixels are read
  require_failure(glide_upsample(pipeline, &per_image, &wide, &upsampled),
                  GLIDE_ERROR_INVALID_ARGUMENT,
                  {"input is 16x5000 (H x W)", "at most 4096 pixels a side"});
  // Inpainting compares the images' and masks' counts with batch_size (2) before reading their
  // pixels: a count larger than the buffer would read past it.
  std::vector<uint8_t> mask_pixels(3 * 16 * 16, 255);
  const glide_images one_mask{1, 16, 16, 1, mask_pixels.data()};
  const glide_images three_masks{3, 16, 16, 1, mask_pixels.data()};
  require_failure(glide_inpaint(pipeline, &gp, &three, &one_mask, &upsampled),
                  GLIDE_ERROR_INVALID_ARGUMENT,
                  {"image->count is 3 but params->batch_size is 2; give one image per result"});
  require_failure(glide_inpaint(pipeline, &gp, &input, &three_masks, &upsampled),
                  GLIDE_ERROR_INVALID_ARGUMENT,
                  {"mask->count is 3 but params->batch_size is 2; give one mask per result"});

  // The caller's rounding mode changes no pixel, and is the caller's again afterwards.
  gp.progress = nullptr;
  gp.seed = 7;
  REQUIRE(std::fesetround(FE_UPWARD) == 0);
  const int rc = glide_generate(pipeline, &gp, &again);
  const int mode_after = std::fegetround();
  std::fesetround(FE_TONEAREST);
  REQUIRE(rc == GLIDE_OK);
  CHECK(mode_after == FE_UPWARD);
  CHECK(std::memcmp(images->pixels, again->pixels, bytes) == 0);
  glide_images_free(again);
  // A callback that changes the mode leaves the caller's (nearest, here) in place at the return.
  gp.progress = round_upward;
  REQUIRE(glide_generate(pipeline, &gp, &again) == GLIDE_OK);
  const int mode_after_callback = std::fegetround();
  std::fesetround(FE_TONEAREST);
  CHECK(mode_after_callback == FE_TONEAREST);
  glide_images_free(again);
  gp.progress = log_progress;

  // A progress callback returning false cancels with GLIDE_ERROR_CANCELLED.
  log = ProgressLog{};
  log.cancel_after = 2;
  glide_images* cancelled = reinterpret_cast<glide_images*>(&gp);
  require_failure(glide_generate(pipeline, &gp, &cancelled), GLIDE_ERROR_CANCELLED,
                  {"glide_generate"});
  CHECK(cancelled == nullptr);
  CHECK(log.calls == 2);

  // Invalid hyperparameters are refused by name before any work.
  gp.progress = nullptr;
  gp.base.sampler = "euler-magic";
  require_failure(glide_generate(pipeline, &gp, &cancelled), GLIDE_ERROR_INVALID_ARGUMENT,
                  {"base.sampler", "euler-magic"});
  require_failure(glide_generate_params_validate(&gp), GLIDE_ERROR_INVALID_ARGUMENT,
                  {"base.sampler"});

  glide_images_free(images);
  glide_pipeline_free(pipeline);
}

namespace {

// What a progress callback that calls back into its own pipeline saw.
struct Reentry {
  glide_pipeline* pipeline = nullptr;
  const glide_generate_params* params = nullptr;
  bool free_pipeline = false;  // instead of calling, free the pipeline at the first step
  int calls = 0;
  int nested_generate = GLIDE_OK, nested_release = GLIDE_OK;
  std::string nested_message;
};

bool call_back_in(const char*, int64_t step, int64_t, void* user_data) {
  auto* r = static_cast<Reentry*>(user_data);
  ++r->calls;
  if (step != 1 || r->calls != 1) return true;
  if (r->free_pipeline) {
    glide_pipeline_free(r->pipeline);
    return true;
  }
  glide_generate_params nested = *r->params;
  nested.progress = nullptr;
  glide_images* images = nullptr;
  r->nested_generate = glide_generate(r->pipeline, &nested, &images);
  r->nested_message = glide_error_last();
  glide_images_free(images);
  r->nested_release = glide_pipeline_release_cache(r->pipeline);
  return true;
}

}  // namespace

TEST_CASE("a progress callback's calls on its own pipeline are refused or deferred",
          "[capi][pipeline]") {
  GLIDE_REQUIRE_GOLDEN(base_path, "model_text2im.pt");
  GLIDE_REQUIRE_GOLDEN(upsampler_path, "model_superres.pt");
  glide_pipeline* pipeline = golden_pipeline(base_path, upsampler_path);
  glide_generate_params gp;
  REQUIRE(glide_generate_params_init(&gp, GLIDE_GENERATE_PARAMS_VERSION) == GLIDE_OK);
  const char* prompts[] = {"a red circle"};
  gp.prompts = prompts;
  gp.prompt_count = 1;
  gp.base.respacing = "3";
  gp.upsample = false;
  Reentry reentry;
  reentry.pipeline = pipeline;
  reentry.params = &gp;
  gp.progress = call_back_in;
  gp.progress_user_data = &reentry;

  // Calls from the callback fail with a message; the running call completes.
  glide_images* images = nullptr;
  REQUIRE(glide_generate(pipeline, &gp, &images) == GLIDE_OK);
  CHECK(images->count == 1);
  CHECK(reentry.calls == 3);
  CHECK(reentry.nested_generate == GLIDE_ERROR_UNSUPPORTED);
  CHECK(reentry.nested_release == GLIDE_ERROR_UNSUPPORTED);
  CHECK_THAT(reentry.nested_message,
             Catch::Contains("glide_generate") && Catch::Contains("one call at a time"));
  // ... and the pipeline is free again: the same call without the callback gives the same image.
  gp.progress = nullptr;
  glide_images* again = nullptr;
  REQUIRE(glide_generate(pipeline, &gp, &again) == GLIDE_OK);
  CHECK(std::memcmp(images->pixels, again->pixels, 16 * 16 * 3) == 0);
  glide_images_free(again);

  // Freeing the pipeline from its callback frees it once the call has returned (it crashed
  // before); ctest's capi_cxx_lsan runs this under LeakSanitizer, which reports a pipeline never
  // freed.
  reentry = Reentry{};
  reentry.pipeline = pipeline;
  reentry.params = &gp;
  reentry.free_pipeline = true;
  gp.progress = call_back_in;
  gp.progress_user_data = &reentry;
  REQUIRE(glide_generate(pipeline, &gp, &again) == GLIDE_OK);
  CHECK(reentry.calls == 3);
  CHECK(std::memcmp(images->pixels, again->pixels, 16 * 16 * 3) == 0);
  glide_images_free(again);
  glide_images_free(images);
}

namespace {

// Generation parameters for one prompt through the base stage alone, `respacing` steps.
glide_generate_params one_kite_base_only(const char* respacing) {
  static const char* prompts[] = {"a kite"};
  return glide::test::base_only_params(prompts, respacing);
}

}  // namespace

TEST_CASE("a JSON model config's diffusion keys set the stage's diffusion, as in Python",
          "[capi][pipeline]") {
  GLIDE_REQUIRE_GOLDEN(base_path, "model_text2im.pt");
  // The golden options (which name diffusion_steps and noise_schedule) with `changes` applied.
  const auto create = [&](const nlohmann::json& changes, glide_pipeline** pipeline) {
    nlohmann::json options = nlohmann::json::parse(golden_config_json("text2im"));
    options.update(changes);
    const std::string config = options.dump();
    glide_pipeline_params pp;
    REQUIRE(glide_pipeline_params_init(&pp, GLIDE_PIPELINE_PARAMS_VERSION) == GLIDE_OK);
    pp.base_checkpoint = base_path.c_str();
    pp.base_config = config.c_str();
    return glide_pipeline_create(&pp, pipeline);
  };
  // A value the diffusion refuses was ignored; now it is named.
  glide_pipeline* pipeline = nullptr;
  CHECK(create({{"noise_schedule", "bogus"}}, &pipeline) == GLIDE_ERROR_INVALID_ARGUMENT);
  CHECK(pipeline == nullptr);
  CHECK_THAT(glide_error_last(), Catch::Contains("noise_schedule"));
  CHECK(create({{"prediction", "x"}}, &pipeline) == GLIDE_ERROR_INVALID_ARGUMENT);

  // Another schedule makes other pixels from the same seed.
  const auto pixels = [&](const nlohmann::json& changes) {
    glide_pipeline* p = nullptr;
    REQUIRE(create(changes, &p) == GLIDE_OK);
    const glide_generate_params gp = one_kite_base_only("3");
    glide_images* images = nullptr;
    REQUIRE(glide_generate(p, &gp, &images) == GLIDE_OK);
    std::vector<uint8_t> out(images->pixels, images->pixels + 16 * 16 * 3);
    glide_images_free(images);
    glide_pipeline_free(p);
    return out;
  };
  CHECK(pixels({{"noise_schedule", "linear"}}) != pixels(nlohmann::json::object()));
}

namespace {
bool fail_a_call(const char*, int64_t, int64_t, void*) {
  size_t count = 0;
  glide_tokenize(nullptr, nullptr, 0, &count);  // fails, setting glide_error_last()
  return true;
}
}  // namespace

TEST_CASE("a success leaves glide_error_last empty, whatever a callback did", "[capi]") {
  GLIDE_REQUIRE_GOLDEN(base_path, "model_text2im.pt");
  GLIDE_REQUIRE_GOLDEN(upsampler_path, "model_superres.pt");
  glide_pipeline* pipeline = golden_pipeline(base_path, upsampler_path);
  glide_generate_params gp = one_kite_base_only("2");
  gp.progress = fail_a_call;
  glide_images* images = nullptr;
  REQUIRE(glide_generate(pipeline, &gp, &images) == GLIDE_OK);
  CHECK(std::string(glide_error_last()).empty());
  glide_images_free(images);
  glide_pipeline_free(pipeline);
}

TEST_CASE("a JSON config naming only diffusion options keeps the checkpoint's model config",
          "[capi][pipeline]") {
  glide::DefaultModelPaths shapes;
  try {
    shapes = glide::default_model_paths();
  } catch (const glide::Error& e) {
    WARN("skipped: " << e.what());
    return;
  }
  const auto base_pixels = [&](const char* config) {
    glide_pipeline_params pp;
    REQUIRE(glide_pipeline_params_init(&pp, GLIDE_PIPELINE_PARAMS_VERSION) == GLIDE_OK);
    pp.base_checkpoint = shapes.base.c_str();
    pp.base_config = config;
    glide_pipeline* pipeline = nullptr;
    INFO("config " << (config ? config : "NULL") << ": " << glide_error_last());
    REQUIRE(glide_pipeline_create(&pp, &pipeline) == GLIDE_OK);
    const glide_generate_params gp = one_kite_base_only("3");
    glide_images* images = nullptr;
    REQUIRE(glide_generate(pipeline, &gp, &images) == GLIDE_OK);
    std::vector<uint8_t> out(images->pixels,
                             images->pixels + images->height * images->width * images->channels);
    glide_images_free(images);
    glide_pipeline_free(pipeline);
    return out;
  };
  // The shapes model is no full-size preset: a whole config would not fit its weights.
  const auto own = base_pixels(nullptr);
  CHECK(base_pixels(R"({"use_fp16": false})") == own);
  const auto linear = base_pixels(R"({"noise_schedule": "linear"})");
  CHECK(linear != own);
  // JSON after whitespace is still JSON (it was refused as an unknown preset).
  CHECK(base_pixels(" \n\t{\"noise_schedule\": \"linear\"}") == linear);
  CHECK(base_pixels("\xEF\xBB\xBF{\"noise_schedule\": \"linear\"}") == linear);  // a BOM
}

TEST_CASE("a config naming only diffusion options needs a checkpoint that names its model",
          "[capi][pipeline]") {
  GLIDE_REQUIRE_GOLDEN(base_path, "model_text2im.pt");  // no metadata, no preset's shapes
  glide_pipeline_params pp;
  REQUIRE(glide_pipeline_params_init(&pp, GLIDE_PIPELINE_PARAMS_VERSION) == GLIDE_OK);
  pp.base_checkpoint = base_path.c_str();
  pp.base_config = R"({"prediction": "epsilon"})";
  glide_pipeline* pipeline = nullptr;
  require_failure(glide_pipeline_create(&pp, &pipeline), GLIDE_ERROR_INVALID_FORMAT,
                  {"match no preset",
                   "(params->base_config names only diffusion options; add the "
                   "model's own, image_size, num_channels, ...)"});
  // A respacing is no diffusion option to lay over the checkpoint's: it is refused, not dropped.
  pp.base_config = R"({"timestep_respacing": "250"})";
  require_failure(glide_pipeline_create(&pp, &pipeline), GLIDE_ERROR_INVALID_ARGUMENT,
                  {"timestep_respacing=\"250\" is not read from a model config"});
  CHECK(pipeline == nullptr);
}

TEST_CASE("a pipeline's num_threads is set only once the pipeline is made", "[capi]") {
  const int before = glide::num_threads();
  glide_pipeline_params pp;
  REQUIRE(glide_pipeline_params_init(&pp, GLIDE_PIPELINE_PARAMS_VERSION) == GLIDE_OK);
  pp.base_checkpoint = "/nonexistent/base.safetensors";
  pp.num_threads = before + 1;
  glide_pipeline* pipeline = nullptr;
  require_failure(glide_pipeline_create(&pp, &pipeline), GLIDE_ERROR_NOT_FOUND, {"nonexistent"});
  CHECK(glide::num_threads() == before);
  // Out of range: refused before the checkpoint is looked for.
  for (const int32_t threads : {-1, glide::kMaxThreads + 1}) {
    pp.num_threads = threads;
    require_failure(glide_pipeline_create(&pp, &pipeline), GLIDE_ERROR_INVALID_ARGUMENT,
                    {"params->num_threads is", "0 to keep the process's count"});
  }
  CHECK(glide::num_threads() == before);
}
