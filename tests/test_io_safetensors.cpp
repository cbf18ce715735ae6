// Reading and writing .safetensors: round trips (a golden model among them) and bad headers.
#include <filesystem>
#include <nlohmann/json.hpp>

#include "glide/error.hpp"
#include "glide/io/checkpoint.hpp"
#include "io/bytes.hpp"
#include "io_test_util.hpp"
#include "support/catch_torch.hpp"
#include "support/files.hpp"
#include "support/goldens.hpp"
#include "support/require_error.hpp"
#include "support/temp_dir.hpp"

using glide::Error;
using glide::StateDict;
using glide::Status;
using glide::test::Bytes;
using glide::test::require_error;
using glide::test::ScratchDir;

namespace {

// A safetensors file from its header text and data bytes.
Bytes safetensors(const std::string& header, const Bytes& data = {}) {
  std::string s;
  for (int i = 0; i < 8; ++i) s += static_cast<char>(uint64_t{header.size()} >> (8 * i));
  s += header;
  s.append(data.begin(), data.end());
  return Bytes(s.begin(), s.end());
}

void require_same(const StateDict& a, const StateDict& b) {
  REQUIRE(a.keys() == b.keys());
  for (const auto& [name, t] : a.items()) {
    INFO(name);
    CHECK(b.at(name).dtype() == t.dtype());
    CHECK(b.at(name).sizes() == t.sizes());
    CHECK(torch::equal(b.at(name), t));
  }
}

}  // namespace

TEST_CASE("a golden model survives a safetensors round trip", "[io]") {
  GLIDE_REQUIRE_GOLDEN(path, "model_text2im.pt");
  ScratchDir dir;
  const auto state = glide::io::load_torch_state_dict(path);
  const auto out = dir.file("model.safetensors");
  glide::io::save_safetensors(state, out, {{"source", "model_text2im.pt"}});

  std::map<std::string, std::string> metadata;
  require_same(state, glide::io::load_safetensors(out, &metadata));
  CHECK(metadata == std::map<std::string, std::string>{{"source", "model_text2im.pt"}});

  const auto ckpt = glide::load_checkpoint(out);
  CHECK(ckpt.format == glide::CheckpointFormat::safetensors);
  CHECK(ckpt.metadata.at("source") == "model_text2im.pt");
  require_same(state, ckpt.tensors);
  CHECK(ckpt.tensors.parameter_count() == state.parameter_count());
  CHECK(glide::test::entries_in(dir.path()) == 1);  // no temporary file left behind
}

TEST_CASE("safetensors round trip of every dtype, views, scalars and empty tensors", "[io]") {
  ScratchDir dir;
  StateDict state;
  state.insert("f32.T", torch::arange(12, torch::kFloat32).view({3, 4}).t());
  state.insert("f64", torch::tensor({1.0 / 3.0}, torch::kFloat64));
  state.insert("f16", torch::tensor({0.5f, -1.f}).to(torch::kFloat16));
  state.insert("bf16", torch::tensor({0.5f, 3.f, 7.f}).to(torch::kBFloat16));
  state.insert("i64", torch::tensor({int64_t{1} << 50, int64_t{-3}}));
  state.insert("i32", torch::tensor({-7}, torch::kInt32));
  state.insert("i16", torch::tensor({-7}, torch::kInt16));
  state.insert("i8", torch::tensor({-7}, torch::kInt8));
  state.insert("u8", torch::tensor({250}, torch::kUInt8));
  state.insert("bool", torch::tensor({true, false, true}));
  state.insert("scalar", torch::tensor(2.5f));
  state.insert("empty", torch::zeros({0, 3}));
  const auto out = dir.file("all.safetensors");
  glide::io::save_safetensors(state, out);
  const auto back = glide::io::load_safetensors(out);
  require_same(state, back);
  CHECK(back.at("f32.T").is_contiguous());
  CHECK(back.at("scalar").dim() == 0);

  // The file is what the format says: a header length, then JSON, data aligned to 8 bytes.
  const Bytes bytes = glide::test::read_bytes(out);
  const uint64_t n = glide::io::detail::read_le(bytes.data(), 8);
  CHECK((8 + n) % 8 == 0);
  const auto header = nlohmann::json::parse(bytes.begin() + 8, bytes.begin() + 8 + n);
  CHECK(header.at("bf16").at("dtype") == "BF16");
  CHECK(header.at("f32.T").at("shape") == nlohmann::json::array({4, 3}));
  CHECK(header.at("f32.T").at("data_offsets") == nlohmann::json::array({0, 48}));
  CHECK_FALSE(header.contains("__metadata__"));
}

TEST_CASE("safetensors data at an unaligned offset is copied, not mis-read", "[io]") {
  ScratchDir dir;
  // A 58-byte header puts the data at byte 66: not a multiple of 4.
  std::string header = R"({"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  header.append(58 - header.size(), ' ');
  glide::test::write_bytes(
      dir.file("odd.safetensors"),
      safetensors(header, glide::test::bytes_of(std::vector<float>{1.5f, 2.5f})));
  const auto s = glide::io::load_safetensors(dir.file("odd.safetensors"));
  CHECK(torch::equal(s.at("x"), torch::tensor({1.5f, 2.5f})));
}

TEST_CASE("save_safetensors refuses to overwrite unless asked", "[io]") {
  ScratchDir dir;
  StateDict a, b;
  a.insert("x", torch::ones({2}));
  b.insert("x", torch::zeros({3}));
  const auto out = dir.file("x.safetensors");
  glide::io::save_safetensors(a, out);
  require_error([&] { glide::io::save_safetensors(b, out); }, "already exists",
                Status::invalid_argument);
  CHECK(glide::io::load_safetensors(out).at("x").numel() == 2);
  glide::io::save_safetensors(b, out, {}, /*overwrite=*/true);
  CHECK(glide::io::load_safetensors(out).at("x").numel() == 3);
  CHECK(glide::test::entries_in(dir.path()) == 1);

  StateDict reserved;
  reserved.insert("__metadata__", torch::ones({1}));
  require_error([&] { glide::io::save_safetensors(reserved, dir.file("r.safetensors")); },
                "reserved", Status::invalid_argument);
  StateDict complex;
  complex.insert("c", torch::zeros({2}, torch::kComplexFloat));
  require_error([&] { glide::io::save_safetensors(complex, dir.file("c.safetensors")); },
                "tensor 'c'", Status::unsupported);
  require_error(
      [&] { glide::io::save_safetensors(a, (dir.path() / "no" / "such" / "dir.st").string()); },
      "cannot write", Status::not_found);
  CHECK(glide::test::entries_in(dir.path()) == 1);
}

TEST_CASE("safetensors files with bad headers are refused", "[io]") {
  ScratchDir dir;
  const auto path = dir.file("bad.safetensors");
  const Bytes eight = Bytes(8, 0);
  auto refused = [&](const Bytes& bytes, const std::string& part,
                     Status status = Status::invalid_format) {
    glide::test::write_bytes(path, bytes);
    require_error([&] { glide::io::load_safetensors(path); }, part, status);
    if (bytes.size() >= 9 && bytes[8] == '{') {
      require_error([&] { glide::load_checkpoint(path); }, part, status);
    }
  };
  auto one = [](const std::string& entry) { return std::string(R"({"w":)") + entry + "}"; };

  refused({1, 2, 3}, "shorter than the 8-byte");
  Bytes huge = safetensors("{}");
  huge[7] = 0x10;  // a header of 2^60 bytes
  refused(huge, "at most 100 MB");
  Bytes over = safetensors(R"({"w":{}})");
  over[0] = 200;
  refused(over, "only 8 bytes follow");
  refused(safetensors("{nope"), "not valid JSON (at byte 10 of the file)");
  refused(safetensors("{\"w\x01\xff\": 1}"), "not valid JSON (at byte");
  refused(safetensors("[1, 2]"), "not a JSON object");
  const std::string entry = R"({"dtype":"U8","shape":[1],"data_offsets":[0,1]})";
  refused(safetensors("{\"a\":" + entry + ",\"a\":" + entry + "}", {0}), "names 'a' twice");
  // Inside an object too: which value is meant would be the JSON reader's choice.
  refused(safetensors(R"({"__metadata__":{"k":"1","k":"2"}})"),
          "the safetensors header's '__metadata__' names 'k' twice");
  refused(
      safetensors(R"({"a":{"dtype":"U8","dtype":"F32","shape":[1],"data_offsets":[0,1]}})", {0}),
      "the safetensors header's 'a' names 'dtype' twice");
  // The same key in two objects is no repeat.
  const std::string entry_b = R"({"dtype":"U8","shape":[1],"data_offsets":[1,2]})";
  glide::test::write_bytes(path,
                           safetensors("{\"a\":" + entry + ",\"b\":" + entry_b + "}", {0, 0}));
  CHECK(glide::io::load_safetensors(path).size() == 2);
  refused(safetensors(R"({"w":{"a":{"b":[[1]]}}})"), "nests deeper");
  refused(safetensors(one("3")), "tensor 'w' is not described by a JSON object");
  refused(safetensors(one(R"({"dtype":"F8_E4M3","shape":[1],"data_offsets":[0,1]})"), {0}),
          "tensor 'w' has the dtype 'F8_E4M3'", Status::unsupported);
  refused(safetensors(one(R"({"dtype":"Q4","shape":[1],"data_offsets":[0,1]})"), {0}), "'Q4'",
          Status::unsupported);
  refused(safetensors(one(R"({"shape":[1],"data_offsets":[0,4]})"), eight), "no dtype");
  refused(safetensors(one(R"({"dtype":"F32","shape":[-1],"data_offsets":[0,4]})"), eight),
          "tensor 'w' has a shape entry -1");
  refused(safetensors(one(R"({"dtype":"F32","shape":[1.5],"data_offsets":[0,4]})"), eight),
          "shape entry 1.5");
  refused(safetensors(one(R"({"dtype":"F32","shape":[1]})"), eight), "no data_offsets");
  refused(safetensors(one(R"({"dtype":"F32","shape":[1],"data_offsets":[0,4,8]})"), eight),
          "no data_offsets");
  refused(safetensors(one(R"({"dtype":"F32","shape":[4],"data_offsets":[0,16]})"), eight),
          "tensor 'w' has data_offsets [0, 16] outside the 8 bytes of data");
  refused(safetensors(one(R"({"dtype":"F32","shape":[1],"data_offsets":[8,4]})"), eight),
          "[8, 4] that begin after they end");
  refused(safetensors(one(R"({"dtype":"F32","shape":[1],"data_offsets":[0,18446744073709551615]})"),
                      eight),
          "outside");
  refused(safetensors(one(R"({"dtype":"F32","shape":[3],"data_offsets":[0,8]})"), eight),
          "spanning 8 bytes, but its shape [3] of F32 needs 12");
  refused(
      safetensors(
          one(R"({"dtype":"F32","shape":[4294967296,4294967296,4294967296],"data_offsets":[0,8]})"),
          eight),
      "too large to exist");
  // Empty, yet its other sizes overflow LibTorch's element count (which multiplies them all).
  refused(safetensors(one(R"({"dtype":"F32","shape":[4611686018427387904,4611686018427387904,0],)"
                          R"("data_offsets":[0,0]})"),
                      eight),
          "shape [4611686018427387904, 4611686018427387904, 0], too large to exist");
  refused(safetensors(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                      R"("b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                      eight),
          "tensors 'a' and 'b' overlap");
  refused(safetensors(R"({"__metadata__":{"k":1}})"), "__metadata__ 'k' is not a string");
  refused(safetensors(R"({"__metadata__":[]})"), "__metadata__ is not a JSON object");
  refused(safetensors(one(R"({"dtype":"BOOL","shape":[2],"data_offsets":[0,2]})"), {1, 2}),
          "tensor 'w': a bool tensor holds the byte 2");

  // Empty tensors may share an offset; holes between tensors are allowed.
  glide::test::write_bytes(path,
                           safetensors(R"({"a":{"dtype":"F32","shape":[0],"data_offsets":[4,4]},)"
                                       R"("b":{"dtype":"F32","shape":[0,2],"data_offsets":[4,4]},)"
                                       R"("c":{"dtype":"U8","shape":[1],"data_offsets":[6,7]}})",
                                       eight));
  const auto s = glide::io::load_safetensors(path);
  CHECK(s.size() == 3);
  CHECK(s.at("b").sizes() == torch::IntArrayRef({0, 2}));
}
