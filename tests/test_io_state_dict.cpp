// StateDict, validate_state_dict / load_state_dict against a module, and load_checkpoint's
// handling of files that are not checkpoints at all.
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/linear.h>

#include <cmath>
#include <filesystem>

#include "glide/error.hpp"
#include "glide/io/checkpoint.hpp"
#include "io_test_util.hpp"
#include "support/catch_torch.hpp"

using glide::Error;
using glide::StateDict;
using glide::Status;
using glide::test::ScratchDir;

namespace {

template <typename F>
void require_error(F&& f, const std::vector<std::string>& parts, Status status) {
  try {
    f();
    FAIL("expected a glide::Error");
  } catch (const Error& e) {
    INFO(e.what());
    for (const auto& part : parts) CHECK(std::string(e.what()).find(part) != std::string::npos);
    CHECK(e.status() == status);
  }
}

torch::nn::Sequential small_model() {
  return torch::nn::Sequential(torch::nn::Linear(4, 3), torch::nn::BatchNorm1d(3),
                               torch::nn::Linear(3, 2));
}

StateDict state_of(const torch::nn::Module& m, torch::Dtype dtype = torch::kFloat32) {
  StateDict s;
  for (const auto& p : m.named_parameters()) s.insert(p.key(), p.value().detach().to(dtype) + 1);
  for (const auto& b : m.named_buffers()) s.insert(b.key(), b.value().detach().clone() + 2);
  return s;
}

}  // namespace

TEST_CASE("StateDict keeps order and refuses duplicate names", "[io]") {
  StateDict s;
  s.insert("b", torch::zeros({2, 3}));
  s.insert("a", torch::zeros({4}));
  CHECK(s.keys() == std::vector<std::string>{"b", "a"});
  CHECK(s.size() == 2);
  CHECK(s.parameter_count() == 10);
  CHECK(s.contains("a"));
  CHECK_FALSE(s.contains("c"));
  require_error([&] { s.insert("a", torch::ones({1})); }, {"'a'"}, Status::invalid_argument);
  require_error([&] { s.at("c"); }, {"no tensor named 'c'"}, Status::not_found);
}

TEST_CASE("validate_state_dict lists every missing, unexpected and mis-shaped key", "[io]") {
  auto model = small_model();
  REQUIRE_NOTHROW(glide::validate_state_dict(state_of(*model), *model));

  const StateDict good = state_of(*model);
  StateDict bad;
  for (const auto& [name, t] : good.items()) {
    if (name == "2.bias") continue;  // missing
    bad.insert(name, name == "0.weight" ? torch::zeros({4, 4}) : t);
  }
  bad.insert("3.weight", torch::zeros({5}));  // unexpected
  require_error([&] { glide::validate_state_dict(bad, *model); },
                {"1 missing, 1 unexpected, 1 with the wrong shape", "missing: 2.bias [2]",
                 "unexpected: 3.weight [5]",
                 "wrong shape: 0.weight: the state dict has [4, 4], the module expects [3, 4]"},
                Status::invalid_argument);

  // Buffers count too.
  StateDict no_buffers;
  for (const auto& p : model->named_parameters()) no_buffers.insert(p.key(), p.value());
  require_error([&] { glide::validate_state_dict(no_buffers, *model); },
                {"3 missing", "1.running_mean [3]", "1.running_var [3]", "1.num_batches_tracked"},
                Status::invalid_argument);

  // Another model's file differs everywhere: the message names the first dozen, then counts.
  StateDict other = good;
  for (int i = 0; i < 40; ++i) other.insert("extra." + std::to_string(i), torch::zeros({1}));
  require_error([&] { glide::validate_state_dict(other, *model); },
                {"40 unexpected", "unexpected: extra.0 [1]", "; and 28 more"},
                Status::invalid_argument);
}

TEST_CASE("load_state_dict copies into the module's own tensors, casting dtypes", "[io]") {
  auto model = small_model();
  const auto weight = model->named_parameters()["0.weight"];
  const void* before = weight.data_ptr();
  const auto state = state_of(*model, torch::kFloat64);
  glide::load_state_dict(*model, state);

  CHECK(weight.data_ptr() == before);  // the same tensor, new values
  CHECK(weight.dtype() == torch::kFloat32);
  CHECK(weight.requires_grad());
  for (const auto& p : model->named_parameters()) {
    CHECK(torch::allclose(p.value(), state.at(p.key()).to(torch::kFloat32)));
  }
  CHECK(torch::equal(model->named_buffers()["1.running_var"], state.at("1.running_var")));
  CHECK(model->named_buffers()["1.num_batches_tracked"].item<int64_t>() == 2);
}

TEST_CASE("load_state_dict leaves the module alone when the state does not match", "[io]") {
  auto model = small_model();
  const auto before = model->named_parameters()["2.weight"].clone();
  auto state = state_of(*model);
  StateDict partial;
  for (const auto& [name, t] : state.items()) {
    if (name != "0.bias") partial.insert(name, t);
  }
  CHECK_THROWS_AS(glide::load_state_dict(*model, partial), Error);
  CHECK(torch::equal(model->named_parameters()["2.weight"], before));
}

TEST_CASE("a saved state dict loads back into a module through load_checkpoint", "[io]") {
  ScratchDir dir;
  auto source = small_model();
  glide::io::save_safetensors(state_of(*source), dir.file("m.safetensors"));
  auto target = small_model();
  glide::load_state_dict(*target, glide::load_checkpoint(dir.file("m.safetensors")).tensors);
  for (const auto& p : target->named_parameters()) {
    CHECK(torch::equal(p.value(), source->named_parameters()[p.key()] + 1));
  }
}

TEST_CASE("loaded tensors survive the file being cut short afterwards", "[io]") {
  // Another program copying over a checkpoint truncates it first; tensors that were views of a
  // mapping of the file would then raise SIGBUS when touched.
  ScratchDir dir;
  auto source = small_model();
  const StateDict state = state_of(*source);
  glide::io::save_safetensors(state, dir.file("m.safetensors"));
  glide::io::save_torch_state_dict(state, dir.file("m.pt"));
  for (const auto* name : {"m.safetensors", "m.pt"}) {
    INFO(name);
    const auto loaded = glide::load_checkpoint(dir.file(name)).tensors;
    std::filesystem::resize_file(dir.file(name), 0);
    REQUIRE(loaded.size() == state.size());
    for (const auto& [key, tensor] : state.items()) CHECK(torch::equal(loaded.at(key), tensor));
  }
}

TEST_CASE("files that are not checkpoints give clear errors", "[io]") {
  ScratchDir dir;
  const auto missing = dir.file("missing.pt");
  const auto empty = dir.file("empty.pt");
  const auto text = dir.file("notes.pt");
  glide::test::write_bytes(empty, {});
  glide::test::write_bytes(text, {'h', 'e', 'l', 'l', 'o', ' ', 'w', 'o', 'r', 'l', 'd'});
  for (const auto& load : std::vector<std::function<void(const std::string&)>>{
           [](const std::string& p) { glide::load_checkpoint(p); },
           [](const std::string& p) { glide::io::load_torch_file(p); },
           [](const std::string& p) { glide::io::load_torch_state_dict(p); },
           [](const std::string& p) { glide::io::load_safetensors(p); }}) {
    require_error([&] { load(missing); }, {missing, "does not exist"}, Status::not_found);
    // A file taken for a folder: which one it is.
    require_error([&] { load(text + "/inner/model.pt"); },
                  {"does not exist: '" + text + "' is a file, not a folder"}, Status::not_found);
    require_error([&] { load(dir.path().string()); }, {"is a directory"}, Status::invalid_argument);
    require_error([&] { load(empty); }, {empty, "is empty"}, Status::invalid_format);
    require_error([&] { load(text); }, {text}, Status::invalid_format);
  }
  require_error([&] { glide::load_checkpoint(text); },
                {"not a checkpoint", "starts with 68 65 6c 6c 6f 20 77 6f"},
                Status::invalid_format);
  require_error([&] { glide::load_checkpoint("/dev/null"); }, {"not a regular file"},
                Status::invalid_argument);
}

TEST_CASE("cast_in_range refuses casts that make finite values infinite", "[io]") {
  const auto t = torch::tensor({1e6f, 1.0f, -7e4f});
  require_error([&] { glide::io::cast_in_range("w", t, torch::kFloat16); },
                {"'w' has 2 values beyond float16's range", "largest magnitude is 1000000",
                 "Keep float32, or use bfloat16, whose range holds it"},
                Status::invalid_argument);
  // The advice is the source dtype, or a narrower one only where the value fits it.
  const auto wide = torch::tensor({1e300, 3.4028236e38}, torch::kFloat64);
  require_error([&] { glide::io::cast_in_range("v", wide, torch::kFloat32); },
                {"the largest magnitude is 1e+300", "infinite. Keep float64"},
                Status::invalid_argument);
  require_error([&] { glide::io::cast_in_range("v", wide.slice(0, 1), torch::kBFloat16); },
                {"the largest magnitude is 3.4028236e+38); they would become infinite. Keep "
                 "float64"},
                Status::invalid_argument);
  require_error([&] { glide::io::cast_in_range("v", wide.slice(0, 1) / 1e10, torch::kFloat16); },
                {"Keep float64, or use bfloat16, whose range holds it"}, Status::invalid_argument);
  CHECK(glide::io::cast_in_range("w", t, torch::kBFloat16).scalar_type() == torch::kBFloat16);
  // Infinities and NaN already there are the weights' own, not the cast's.
  const auto inf = torch::tensor({INFINITY, NAN, 2.0f});
  CHECK(glide::io::cast_in_range("w", inf, torch::kFloat16).scalar_type() == torch::kFloat16);
}
