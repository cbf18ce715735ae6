// Reading torch.save files: the goldens (checked against LibTorch's own reader and the model
// manifests), hand-made archives, and damaged ones.
#include <torch/csrc/jit/serialization/pickle.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>

#include "glide/error.hpp"
#include "glide/io/checkpoint.hpp"
#include "io/bytes.hpp"
#include "io/zip_index.hpp"
#include "io/zip_writer.hpp"
#include "io_test_util.hpp"
#include "support/catch_torch.hpp"
#include "support/goldens.hpp"
#include "support/require_error.hpp"

using glide::Error;
using glide::Status;
using glide::io::Value;
using glide::test::Bytes;
using glide::test::Pickle;
using glide::test::require_error;
using glide::test::ScratchDir;
using glide::test::write_torch_zip;

namespace {

// Compares our Value tree with what LibTorch's unpickler made of the same file.
void compare(const Value& v, const c10::IValue& iv, const std::string& where) {
  INFO(where);
  if (iv.isTensor()) {
    REQUIRE(v.is_tensor());
    const auto& a = v.as_tensor();
    const auto b = iv.toTensor();
    CHECK(a.dtype() == b.dtype());
    CHECK(a.sizes() == b.sizes());
    CHECK(a.strides() == b.strides());
    CHECK(a.storage_offset() == b.storage_offset());
    CHECK(torch::equal(a, b));
  } else if (iv.isString()) {
    CHECK(v.as_string() == iv.toStringRef());
  } else if (iv.isBool()) {
    CHECK(v.as_bool() == iv.toBool());
  } else if (iv.isInt()) {
    CHECK(v.as_int() == iv.toInt());
  } else if (iv.isDouble()) {
    CHECK(v.as_float() == iv.toDouble());
  } else if (iv.isNone()) {
    CHECK(v.is_none());
  } else if (iv.isList()) {
    const auto list = iv.toListRef();
    REQUIRE(v.as_list().size() == list.size());
    for (size_t i = 0; i < list.size(); ++i) {
      compare(v.as_list()[i], list[i], where + "[" + std::to_string(i) + "]");
    }
  } else if (iv.isTuple()) {
    const auto& items = iv.toTupleRef().elements();
    REQUIRE(v.as_tuple().items.size() == items.size());
    for (size_t i = 0; i < items.size(); ++i) {
      compare(v.as_tuple().items[i], items[i], where + "[" + std::to_string(i) + "]");
    }
  } else if (iv.isGenericDict()) {
    const auto dict = iv.toGenericDict();
    REQUIRE(v.as_dict().size() == dict.size());
    size_t i = 0;
    for (const auto& entry : dict) {
      const auto& [key, value] = v.as_dict()[i++];
      CHECK(key.as_string() == entry.key().toStringRef());
      compare(value, entry.value(), where + "." + entry.key().toStringRef());
    }
  } else {
    FAIL("unexpected IValue " << iv.tagKind());
  }
}

std::vector<std::string> golden_pt_files() {
  std::vector<std::string> out;
  const auto dir = glide::test::goldens_dir();
  if (!dir) return out;
  for (const auto& e : std::filesystem::directory_iterator(*dir)) {
    if (e.path().extension() == ".pt") out.push_back(e.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Offset of the central directory entry for `name` in a zip's bytes.
size_t central_entry(const Bytes& zip, const std::string& name) {
  const std::string sig = "PK\x01\x02";
  for (size_t i = 0; i + 46 + name.size() <= zip.size(); ++i) {
    if (std::equal(sig.begin(), sig.end(), zip.begin() + i) &&
        glide::io::detail::read_le(&zip[i + 28], 2) == name.size() &&
        std::equal(name.begin(), name.end(), zip.begin() + i + 46)) {
      return i;
    }
  }
  throw std::runtime_error("no central directory entry " + name);
}

}  // namespace

TEST_CASE("every golden .pt file loads", "[io]") {
  const auto files = golden_pt_files();
  if (files.empty()) WARN("SKIPPED: no goldens (set GLIDE_GOLDENS)");
  for (const auto& path : files) {
    INFO(path);
    const Value v = glide::io::load_torch_file(path);
    REQUIRE(v.is_dict());
    const auto ckpt = glide::load_checkpoint(path);
    CHECK(ckpt.format == glide::CheckpointFormat::torch_zip);
    CHECK(ckpt.tensors.size() > 0);
    CHECK(ckpt.metadata.empty());
    for (const auto& [name, t] : ckpt.tensors.items()) {
      // torch.save aligns each record to 64 bytes; views of the file's bytes keep that alignment.
      CHECK(reinterpret_cast<uintptr_t>(t.storage().data()) % 64 == 0);
    }
  }
}

TEST_CASE("plain-dict goldens read the same as with torch::pickle_load", "[io]") {
  for (const auto& path : golden_pt_files()) {
    const auto name = std::filesystem::path(path).filename().string();
    if (name.rfind("model_", 0) == 0) continue;  // OrderedDicts: pickle_load cannot read them
    INFO(path);
    const auto bytes = glide::test::read_bytes(path);
    const auto reference = torch::jit::pickle_load(std::vector<char>(bytes.begin(), bytes.end()));
    compare(glide::io::load_torch_file(path), reference, name);
  }
}

TEST_CASE("the sampling golden holds strings, lists and floats", "[io]") {
  GLIDE_REQUIRE_GOLDEN(path, "sampling_text2im.pt");
  const Value v = glide::io::load_torch_file(path);
  CHECK(v.at("noise_schedule").as_string() == "squaredcos_cap_v2");
  CHECK(v.at("prompts").as_list().size() == 2);
  CHECK(v.at("cfg3.0.x_T").as_tensor().sizes() == torch::IntArrayRef({2, 3, 16, 16}));
  // The state dict view keeps only the tensors.
  const auto tensors = glide::io::load_torch_state_dict(path);
  CHECK_FALSE(tensors.contains("prompts"));
  CHECK(tensors.contains("cfg3.0.x_T"));
}

TEST_CASE("model goldens match models.json and the official manifests", "[io]") {
  GLIDE_REQUIRE_GOLDEN(models_path, "models.json");
  GLIDE_REQUIRE_GOLDEN(manifests_path, "manifests.json");
  const auto models = nlohmann::json::parse(std::ifstream(models_path));
  const auto manifests = nlohmann::json::parse(std::ifstream(manifests_path));
  const std::map<std::string, std::string> official = {{"text2im", "base"},
                                                       {"text2im_nopad_noln", "base"},
                                                       {"inpaint", "base-inpaint"},
                                                       {"superres", "upsample"},
                                                       {"superres_inpaint", "upsample-inpaint"}};
  const std::regex unet_block("^(input_blocks|middle_block|output_blocks)\\..*");
  for (const auto& [name, full] : official) {
    GLIDE_REQUIRE_GOLDEN(path, "model_" + name + ".pt");
    INFO(path);
    const auto state = glide::io::load_torch_state_dict(path);
    const auto& options = models.at(name).at("options");
    CHECK(state.parameter_count() == models.at(name).at("params").get<int64_t>());

    const int64_t ch = options.at("num_channels");
    const int64_t width = options.at("xf_width");
    CHECK(state.at("time_embed.0.weight").sizes() == torch::IntArrayRef({4 * ch, ch}));
    CHECK(state.at("positional_embedding").sizes() ==
          torch::IntArrayRef({options.at("text_ctx").get<int64_t>(), width}));
    CHECK(state.at("token_embedding.weight").sizes() == torch::IntArrayRef({50257, width}));
    CHECK(state.contains("padding_embedding") == options.at("xf_padding").get<bool>());
    CHECK(state.contains("final_ln.weight") == options.at("xf_final_ln").get<bool>());

    // Same names (and ranks) as the full-size model, outside the UNet blocks whose numbering
    // depends on num_res_blocks; the text transformer is shallower here.
    std::map<std::string, size_t> official_rank;
    for (const auto& kv : manifests.at(full).at("keys")) {
      official_rank[kv.at(0).get<std::string>()] = kv.at(1).size();
    }
    for (const auto& [key, t] : state.items()) {
      INFO(key);
      auto it = official_rank.find(key);
      if (it != official_rank.end()) CHECK(static_cast<size_t>(t.dim()) == it->second);
      if (!std::regex_match(key, unet_block)) CHECK(it != official_rank.end());
    }
    CHECK(state.keys().front() == manifests.at(full).at("keys").at(0).at(0).get<std::string>());
  }
}

TEST_CASE("tensors of a .pt are copy-on-write views of the file", "[io]") {
  GLIDE_REQUIRE_GOLDEN(path, "model_text2im.pt");
  const auto before = glide::io::load_torch_state_dict(path).at("time_embed.0.bias").clone();
  {
    const auto state = glide::io::load_torch_state_dict(path);
    state.at("time_embed.0.bias").fill_(42.0f);  // writes a private copy of the page
  }
  CHECK(torch::equal(glide::io::load_torch_state_dict(path).at("time_embed.0.bias"), before));
}

TEST_CASE("hand-made torch.save archives: dtypes, shared storages and views", "[io]") {
  ScratchDir dir;
  Pickle p;
  p.global("collections", "OrderedDict").op(')').op('R').mark();
  p.str("w").tensor("FloatStorage", "0", 6, 0, {2, 3}, {3, 1});
  p.str("w.T").tensor("FloatStorage", "0", 6, 0, {3, 2}, {1, 3});
  p.str("w.tail").tensor("FloatStorage", "0", 6, 4, {2}, {1});
  p.str("half").tensor("HalfStorage", "1", 2, 0, {2}, {1});
  p.str("bf16").tensor("BFloat16Storage", "2", 2, 0, {2}, {1});
  p.str("ids").tensor("LongStorage", "3", 3, 0, {3}, {1});
  p.str("mask").tensor("BoolStorage", "4", 3, 0, {3}, {1});
  p.str("param").global("torch._utils", "_rebuild_parameter");
  p.tensor("DoubleStorage", "5", 1, 0, {}, {}).op(0x88).op('}').op(0x87).op('R');
  p.op('u');
  const auto half = torch::tensor({1.5f, -2.0f}).to(torch::kFloat16);
  const auto bf16 = torch::tensor({0.25f, 3.0f}).to(torch::kBFloat16);
  auto record = [](const torch::Tensor& t) {
    const auto* b = static_cast<const uint8_t*>(t.data_ptr());
    return Bytes(b, b + t.numel() * t.element_size());
  };
  const std::vector<std::pair<std::string, Bytes>> records = {
      {"0", glide::test::bytes_of(std::vector<float>{0, 1, 2, 3, 4, 5})},
      {"1", record(half)},
      {"2", record(bf16)},
      {"3", glide::test::bytes_of(std::vector<int64_t>{7, -8, int64_t{1} << 40})},
      {"4", Bytes{1, 0, 1}},
      {"5", glide::test::bytes_of(std::vector<double>{2.5})}};

  auto check = [&](const std::string& path) {
    const auto s = glide::io::load_torch_state_dict(path);
    REQUIRE(s.keys() ==
            std::vector<std::string>{"w", "w.T", "w.tail", "half", "bf16", "ids", "mask", "param"});
    const auto w = torch::arange(6, torch::kFloat32).view({2, 3});
    CHECK(torch::equal(s.at("w"), w));
    CHECK(torch::equal(s.at("w.T"), w.t()));
    CHECK_FALSE(s.at("w.T").is_contiguous());
    CHECK(torch::equal(s.at("w.tail"), torch::tensor({4.f, 5.f})));
    CHECK(s.at("w.tail").storage().data() == s.at("w").storage().data());
    CHECK(torch::equal(s.at("half"), half));
    CHECK(torch::equal(s.at("bf16"), bf16));
    CHECK(torch::equal(s.at("ids"), torch::tensor({int64_t{7}, int64_t{-8}, int64_t{1} << 40})));
    CHECK(torch::equal(s.at("mask"), torch::tensor({true, false, true})));
    CHECK(s.at("param").item<double>() == 2.5);
    CHECK(s.parameter_count() == 6 + 6 + 2 + 2 + 2 + 3 + 3 + 1);
  };

  const auto stored = dir.file("stored.pt");
  write_torch_zip(stored, p.stopped(), records);
  check(stored);

  // Compressed records are inflated instead of viewed in place.
  const auto compressed = dir.file("compressed.pt");
  {
    caffe2::serialize::PyTorchStreamWriter writer(compressed);
    const Bytes pkl = p.stopped();
    writer.writeRecord("data.pkl", pkl.data(), pkl.size(), /*compress=*/true);
    for (const auto& [key, data] : records) {
      writer.writeRecord("data/" + key, data.data(), data.size(), /*compress=*/true);
    }
    writer.writeRecord("byteorder", "little", 6);
  }
  check(compressed);
}

TEST_CASE("torch.save files that are not what they claim are refused", "[io]") {
  ScratchDir dir;
  auto simple = [](const std::string& cls, int64_t numel) {
    Pickle p;
    p.op('}').str("t").tensor(cls, "0", numel, 0, {numel}, {1}).op('s');
    return p.stopped();
  };
  const Bytes four_floats = glide::test::bytes_of(std::vector<float>{1, 2, 3, 4});

  SECTION("a pickle calling os.system") {
    Pickle p;
    p.global("os", "system").str("touch /tmp/glide-pwned").op(0x85).op('R');
    write_torch_zip(dir.file("evil.pt"), p.stopped(), {});
    require_error([&] { glide::load_checkpoint(dir.file("evil.pt")); }, "'os.system'",
                  Status::unsupported);
    CHECK_FALSE(std::filesystem::exists("/tmp/glide-pwned"));
  }
  SECTION("a pickle building an object with builtins.getattr") {
    Pickle p;
    p.global("builtins", "getattr");
    write_torch_zip(dir.file("evil.pt"), p.stopped(), {});
    require_error([&] { glide::io::load_torch_file(dir.file("evil.pt")); }, "'builtins.getattr'",
                  Status::unsupported);
  }
  SECTION("a storage shorter than the pickle declares") {
    write_torch_zip(dir.file("short.pt"), simple("FloatStorage", 5), {{"0", four_floats}});
    require_error([&] { glide::io::load_torch_file(dir.file("short.pt")); },
                  "storage 'data/0' holds 16 bytes, but the pickle declares 5 elements of float32");
  }
  SECTION("a huge declared storage") {
    write_torch_zip(dir.file("huge.pt"), simple("DoubleStorage", int64_t{1} << 61),
                    {{"0", four_floats}});
    require_error([&] { glide::io::load_torch_file(dir.file("huge.pt")); },
                  "more than memory can hold");
    write_torch_zip(dir.file("huge2.pt"), simple("FloatStorage", int64_t{1} << 40),
                    {{"0", four_floats}});
    require_error([&] { glide::io::load_torch_file(dir.file("huge2.pt")); }, "holds 16 bytes");
  }
  SECTION("a storage record that does not exist") {
    write_torch_zip(dir.file("missing.pt"), simple("FloatStorage", 4), {});
    require_error([&] { glide::io::load_torch_file(dir.file("missing.pt")); },
                  "no record 'missing/data/0'");
  }
  SECTION("bool storage bytes other than 0 and 1") {
    write_torch_zip(dir.file("bools.pt"), simple("BoolStorage", 2), {{"0", Bytes{1, 7}}});
    require_error([&] { glide::io::load_torch_file(dir.file("bools.pt")); }, "the byte 7");
  }
  SECTION("a big-endian archive") {
    {
      caffe2::serialize::PyTorchStreamWriter writer(dir.file("big.pt"));
      const Bytes pkl = simple("FloatStorage", 4);
      writer.writeRecord("data.pkl", pkl.data(), pkl.size());
      writer.writeRecord("data/0", four_floats.data(), four_floats.size());
      writer.writeRecord("byteorder", "big", 3);
    }
    require_error([&] { glide::io::load_torch_file(dir.file("big.pt")); }, "big-endian",
                  Status::unsupported);
  }
  SECTION("a TorchScript archive") {
    {
      caffe2::serialize::PyTorchStreamWriter writer(dir.file("script.pt"));
      writer.writeRecord("constants.pkl", "\x80\x02N.", 4);
    }
    require_error([&] { glide::io::load_torch_file(dir.file("script.pt")); }, "TorchScript",
                  Status::unsupported);
  }
  SECTION("a state dict that is not a dict") {
    Pickle p;
    p.op(']');
    write_torch_zip(dir.file("list.pt"), p.stopped(), {});
    CHECK(glide::io::load_torch_file(dir.file("list.pt")).is_list());
    require_error([&] { glide::io::load_torch_state_dict(dir.file("list.pt")); },
                  "holds a list; expected a dict of tensors");
  }
  SECTION("a training checkpoint whose tensors are one level down") {
    // {"state_dict": {"t": tensor}, "epoch": 3}: read flat, it would hold no tensors at all.
    Pickle p;
    p.op('}').str("state_dict").op('}').str("t").tensor("FloatStorage", "0", 4, 0, {4}, {1});
    p.op('s').op('s').str("epoch").integer(3).op('s');
    write_torch_zip(dir.file("nested.pt"), p.stopped(), {{"0", four_floats}});
    const std::string message = glide::test::error_of(
        [&] { glide::io::load_torch_state_dict(dir.file("nested.pt")); }, Status::invalid_format);
    CHECK_THAT(message, Catch::Contains("holds no tensors at its top level, but 1 under "
                                        "'state_dict'") &&
                            Catch::Contains("torch.save(torch.load(PATH)['state_dict']"));
  }
  SECTION("a zip without the version record torch.save writes") {
    std::string file;
    {
      glide::io::detail::ZipWriter zip(
          [&](const void* p, size_t n) { file.append(static_cast<const char*>(p), n); });
      const Bytes pkl = simple("FloatStorage", 4);
      zip.add("archive/data.pkl", pkl.data(), pkl.size());
      zip.finish();
    }
    glide::test::write_bytes(dir.file("no-version.pt"), Bytes(file.begin(), file.end()));
    require_error([&] { glide::load_checkpoint(dir.file("no-version.pt")); },
                  "no 'archive/version' record", Status::invalid_format);
  }
  SECTION("a version record that is not a version LibTorch reads") {
    const auto with_version = [&](const std::string& version) {
      std::string file;
      {
        glide::io::detail::ZipWriter zip(
            [&](const void* p, size_t n) { file.append(static_cast<const char*>(p), n); });
        const Bytes pkl = simple("FloatStorage", 4);
        zip.add("archive/data.pkl", pkl.data(), pkl.size());
        zip.add("archive/version", version.data(), version.size());
        zip.finish();
      }
      glide::test::write_bytes(dir.file("v.pt"), Bytes(file.begin(), file.end()));
      return dir.file("v.pt");
    };
    // LibTorch's reader threw std::stoull's bare "stoull" for these.
    for (const std::string version : {"99999999999999999999999\n", "three\n", "-3\n", ""}) {
      INFO(version);
      require_error([&] { glide::load_checkpoint(with_version(version)); },
                    "'archive/version' record is not a format version", Status::invalid_format);
    }
    require_error([&] { glide::load_checkpoint(with_version("999\n")); },
                  "archive format version 999; this glide's LibTorch reads versions 1 to",
                  Status::unsupported);
  }
  SECTION("the legacy (pre-1.6) torch.save format") {
    glide::test::write_bytes(dir.file("legacy.pt"), {0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c});
    require_error([&] { glide::load_checkpoint(dir.file("legacy.pt")); }, "before PyTorch 1.6",
                  Status::unsupported);
  }
}

TEST_CASE("damaged copies of a golden .pt are refused", "[io]") {
  GLIDE_REQUIRE_GOLDEN(path, "model_text2im.pt");
  ScratchDir dir;
  const Bytes original = glide::test::read_bytes(path);
  const auto out = dir.file("model_text2im.pt");

  SECTION("truncated") {
    for (size_t n : {size_t{1}, size_t{4}, size_t{22}, size_t{1000}, original.size() / 2,
                     original.size() - 23, original.size() - 1}) {
      INFO("truncated to " << n << " bytes");
      glide::test::write_bytes(out, Bytes(original.begin(), original.begin() + n));
      CHECK_THROWS_AS(glide::load_checkpoint(out), Error);
    }
  }
  SECTION("one byte of data.pkl changed") {
    const auto zip =
        glide::io::detail::ZipIndex::parse(original.data(), original.size(), "original");
    const size_t pkl = zip.find("model_text2im/data.pkl")->data_offset;
    for (size_t offset : {size_t{0}, size_t{1}, size_t{100}, size_t{5000}, size_t{20000}}) {
      Bytes damaged = original;
      damaged[pkl + offset] ^= 0x5a;
      glide::test::write_bytes(out, damaged);
      require_error([&] { glide::load_checkpoint(out); }, "data.pkl' is damaged");
    }
  }
  SECTION("a record claims a huge uncompressed size") {
    Bytes damaged = original;
    const size_t entry = central_entry(damaged, "model_text2im/data/0");
    for (int i = 0; i < 4; ++i) damaged[entry + 24 + i] = 0xee;  // uncompressed size
    glide::test::write_bytes(out, damaged);
    require_error([&] { glide::load_checkpoint(out); }, "record 'model_text2im/data/0' declares");
  }
  SECTION("a record's data lies past the end of the file") {
    Bytes damaged = original;
    const size_t entry = central_entry(damaged, "model_text2im/data/0");
    for (int i = 0; i < 4; ++i) damaged[entry + 20 + i] = damaged[entry + 24 + i] = 0x7f;
    glide::test::write_bytes(out, damaged);
    require_error([&] { glide::load_checkpoint(out); }, "runs past the end of the file");
  }
  SECTION("a record's local header moved") {
    Bytes damaged = original;
    const size_t entry = central_entry(damaged, "model_text2im/data/1");
    damaged[entry + 42] ^= 0x10;
    glide::test::write_bytes(out, damaged);
    require_error([&] { glide::load_checkpoint(out); }, "record 'model_text2im/data/1'");
  }
  SECTION("the end of central directory damaged") {
    Bytes damaged = original;
    damaged[damaged.size() - 22] = 'X';
    glide::test::write_bytes(out, damaged);
    require_error([&] { glide::load_checkpoint(out); }, "end-of-central-directory");
  }
}
