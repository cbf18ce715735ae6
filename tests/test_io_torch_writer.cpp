// Writing torch.save files: round trips through glide's reader (bit for bit), the container as
// LibTorch's own reader sees it, the pickle as LibTorch's own unpickler reads it, zip64 fields,
// a golden model through .safetensors and back, and refusals.
#include <caffe2/serialize/inline_container.h>
#include <torch/csrc/jit/serialization/pickle.h>

#include <cstring>
#include <filesystem>
#include <limits>
#include <sstream>

#include "glide/error.hpp"
#include "glide/io/checkpoint.hpp"
#include "io/zip_index.hpp"
#include "io/zip_writer.hpp"
#include "io_test_util.hpp"
#include "support/catch_torch.hpp"
#include "support/goldens.hpp"
#include "support/require_error.hpp"

using caffe2::serialize::PyTorchStreamReader;
using glide::StateDict;
using glide::Status;
using glide::io::TorchDictKind;
using glide::test::Bytes;
using glide::test::require_error;
using glide::test::ScratchDir;

namespace {

// Same dtype, shape and bytes (so NaN payloads and -0.0 count, unlike torch::equal).
void require_same_bits(const torch::Tensor& a, const torch::Tensor& b) {
  REQUIRE(a.scalar_type() == b.scalar_type());
  REQUIRE(a.sizes() == b.sizes());
  const auto ca = a.contiguous();
  const auto cb = b.contiguous();
  const size_t n = static_cast<size_t>(ca.numel()) * ca.element_size();
  CHECK(std::memcmp(ca.data_ptr(), cb.data_ptr(), n) == 0);
}

void require_same(const StateDict& a, const StateDict& b) {
  REQUIRE(a.keys() == b.keys());
  for (const auto& [name, t] : a.items()) {
    INFO(name);
    require_same_bits(t, b.at(name));
  }
}

// Every dtype the format holds, a NaN and -0.0, views that are not contiguous or start past
// their storage's beginning, a scalar, and empty tensors.
StateDict mixed_state() {
  StateDict s;
  const float nan = std::numeric_limits<float>::quiet_NaN();
  s.insert("f32", torch::tensor({1.5f, -0.0f, nan, 3e38f}));
  s.insert("f16", torch::tensor({0.5f, -1.f, 65504.f}).to(torch::kFloat16));
  s.insert("bf16", torch::tensor({0.5f, 3.f, -7.f}).to(torch::kBFloat16));
  s.insert("i64", torch::tensor({int64_t{1} << 50, int64_t{-3}, int64_t{70000}}));
  s.insert("bool", torch::tensor({true, false, true}));
  s.insert("f64", torch::tensor({1.0 / 3.0}, torch::kFloat64));
  s.insert("i32", torch::tensor({-7, 1 << 20}, torch::kInt32));
  s.insert("i16", torch::tensor({-7}, torch::kInt16));
  s.insert("i8", torch::tensor({-7}, torch::kInt8));
  s.insert("u8", torch::tensor({250}, torch::kUInt8));
  s.insert("transposed", torch::arange(12, torch::kFloat32).view({3, 4}).t());
  s.insert("sliced", torch::arange(20, torch::kInt64).view({4, 5}).slice(1, 1, 4).slice(0, 1));
  s.insert("scalar", torch::tensor(2.5f));
  s.insert("empty", torch::zeros({0, 3}));
  s.insert("empty.bool", torch::zeros({2, 0}, torch::kBool));
  s.insert("unicode.\xc3\xa9", torch::ones({2, 2}, torch::kFloat16));
  return s;
}

std::string record_text(PyTorchStreamReader& reader, const std::string& name) {
  auto [data, size] = reader.getRecord(name);
  return std::string(static_cast<const char*>(data.get()), size);
}

}  // namespace

TEST_CASE("torch.save-format round trip of every dtype, views, scalars and empty tensors", "[io]") {
  ScratchDir dir;
  const StateDict state = mixed_state();
  const auto path = dir.file("mixed.pt");
  glide::io::save_torch_state_dict(state, path);

  const auto ckpt = glide::load_checkpoint(path);
  CHECK(ckpt.format == glide::CheckpointFormat::torch_zip);
  require_same(state, ckpt.tensors);
  for (const auto& [name, t] : ckpt.tensors.items()) {
    INFO(name);
    CHECK(t.is_contiguous());
    // Non-empty tensors are zero-copy views of the file, which needs their records aligned.
    if (t.numel() > 0) CHECK(reinterpret_cast<uintptr_t>(t.data_ptr()) % 64 == 0);
  }
  CHECK(ckpt.tensors.at("scalar").dim() == 0);
  CHECK(ckpt.tensors.at("sliced").sizes() == torch::IntArrayRef({3, 3}));
  CHECK(std::distance(std::filesystem::directory_iterator(dir.path()), {}) == 1);

  // The plain-dict variant reads back the same.
  const auto plain = dir.file("plain.pth");
  glide::io::save_torch_state_dict(state, plain, false, TorchDictKind::dict);
  require_same(state, glide::io::load_torch_state_dict(plain));
}

TEST_CASE("a .pt whose archive names are not ASCII reads back", "[io]") {
  // torch.save names each record after the file ("modèle/data.pkl"); bytes above 0x7F once failed
  // the check that the local header names the directory's file.
  ScratchDir dir;
  const StateDict state = mixed_state();
  for (const char* name : {"mod\xc3\xa8le.pt", "\xe6\xa8\xa1\xe5\x9e\x8b.pt"}) {
    INFO(name);
    const auto path = dir.file(name);
    glide::io::save_torch_state_dict(state, path);
    require_same(state, glide::load_checkpoint(path).tensors);
  }
}

TEST_CASE("LibTorch's reader accepts the container torch.save's way", "[io]") {
  ScratchDir dir;
  StateDict state;
  state.insert("a", torch::arange(5, torch::kFloat32));
  state.insert("b.weight", torch::ones({2, 3}, torch::kBFloat16));
  state.insert("c", torch::zeros({0}));
  const auto path = dir.file("my_model.pt");
  glide::io::save_torch_state_dict(state, path);

  // Every record inside a folder named after the file, in torch.save's order, data aligned.
  const Bytes bytes = glide::test::read_bytes(path);
  const auto zip = glide::io::detail::ZipIndex::parse(bytes.data(), bytes.size(), path);
  std::vector<std::string> names;
  for (const auto& e : zip.entries()) {
    names.push_back(e.name);
    CHECK(e.stored());
    CHECK(e.data_offset % 64 == 0);
  }
  CHECK(names == std::vector<std::string>{"my_model/data.pkl", "my_model/byteorder",
                                          "my_model/data/0", "my_model/data/1", "my_model/data/2",
                                          "my_model/version"});

  PyTorchStreamReader reader(path);
  CHECK(reader.version() == 3);
  CHECK(reader.getAllRecords() ==
        std::vector<std::string>{"data.pkl", "byteorder", "data/0", "data/1", "data/2", "version"});
  CHECK(record_text(reader, "byteorder") == "little");
  CHECK(record_text(reader, "version") == "3\n");
  CHECK(reader.getRecordOffset("data/1") % 64 == 0);
  auto [data, size] = reader.getRecord("data/0");
  REQUIRE(size == 5 * sizeof(float));
  CHECK(std::memcmp(data.get(), state.at("a").data_ptr(), size) == 0);
  CHECK(record_text(reader, "data/2").empty());

  // The pickle is an OrderedDict, as torch.save(model.state_dict()) writes it.
  const std::string pickle = record_text(reader, "data.pkl");
  CHECK(pickle.rfind("\x80\x02"
                     "ccollections\nOrderedDict\n",
                     0) == 0);
  CHECK(pickle.find("ctorch._utils\n_rebuild_tensor_v2\n") != std::string::npos);
  CHECK(pickle.find("ctorch\nBFloat16Storage\n") != std::string::npos);
  CHECK(pickle.back() == '.');
}

TEST_CASE("LibTorch's own unpickler reads the plain-dict variant", "[io]") {
  ScratchDir dir;
  const StateDict state = mixed_state();
  const auto path = dir.file("plain.pt");
  glide::io::save_torch_state_dict(state, path, false, TorchDictKind::dict);
  const Bytes bytes = glide::test::read_bytes(path);
  const auto value = torch::jit::pickle_load(std::vector<char>(bytes.begin(), bytes.end()));
  REQUIRE(value.isGenericDict());
  const auto dict = value.toGenericDict();
  REQUIRE(dict.size() == state.size());
  size_t i = 0;
  for (const auto& entry : dict) {
    const auto& [name, t] = state.items()[i++];
    INFO(name);
    CHECK(entry.key().toStringRef() == name);
    REQUIRE(entry.value().isTensor());
    const auto loaded = entry.value().toTensor();
    CHECK(loaded.strides() == t.contiguous().strides());
    require_same_bits(t, loaded);
  }
}

TEST_CASE("zip64 fields are read back by glide's and LibTorch's readers", "[io]") {
  // A low threshold makes some records, offsets, the directory and the count take the zip64
  // form, as they would past 4 GiB.
  for (const uint64_t from : {uint64_t{1}, uint64_t{100}, uint64_t{300}}) {
    INFO("zip64 from " << from);
    std::string file;
    glide::io::detail::ZipWriter zip(
        [&](const void* p, size_t n) { file.append(static_cast<const char*>(p), n); }, from);
    const std::string small = "3\n";
    const std::string large(250, 'x');
    zip.add("archive/version", small.data(), small.size());
    zip.add("archive/data/0", large.data(), large.size());
    zip.add("archive/data/1", small.data(), small.size());
    zip.finish();
    CHECK(zip.bytes_written() == file.size());

    const auto* data = reinterpret_cast<const uint8_t*>(file.data());
    const auto index = glide::io::detail::ZipIndex::parse(data, file.size(), "zip64 test");
    REQUIRE(index.entries().size() == 3);
    const auto* big = index.find("archive/data/0");
    REQUIRE(big);
    CHECK(big->size == large.size());
    CHECK(big->data_offset % 64 == 0);
    CHECK(file.compare(big->data_offset, large.size(), large) == 0);
    CHECK(big->crc32 ==
          glide::io::detail::crc32(reinterpret_cast<const uint8_t*>(large.data()), large.size()));

    // miniz (inside LibTorch) bounds a record with a 32-bit size by its 32-bit offset field even
    // when that field is the zip64 marker, which only an archive past 4 GiB satisfies; so only
    // the all-zip64 archive is small enough to show it here.
    if (from != 1) continue;
    std::istringstream in(file);
    PyTorchStreamReader reader(&in);
    CHECK(reader.getAllRecords() == std::vector<std::string>{"version", "data/0", "data/1"});
    CHECK(record_text(reader, "data/0") == large);
    CHECK(record_text(reader, "data/1") == small);
  }
}

TEST_CASE("a golden model converts .pt to .safetensors and back unchanged", "[io]") {
  GLIDE_REQUIRE_GOLDEN(path, "model_text2im.pt");
  ScratchDir dir;
  const auto original = glide::io::load_torch_state_dict(path);
  glide::io::save_safetensors(original, dir.file("model.safetensors"));
  const auto via = glide::io::load_safetensors(dir.file("model.safetensors"));
  glide::io::save_torch_state_dict(via, dir.file("model_text2im.pt"));
  const auto back = glide::io::load_torch_state_dict(dir.file("model_text2im.pt"));
  require_same(original, back);
  CHECK(back.size() == 183);

  // The same tree as torch.save's own file: an OrderedDict of the same keys, nothing else.
  const auto ours = glide::io::load_torch_file(dir.file("model_text2im.pt"));
  const auto theirs = glide::io::load_torch_file(path);
  REQUIRE(ours.is_dict());
  REQUIRE(ours.as_dict().size() == theirs.as_dict().size());
  for (size_t i = 0; i < ours.as_dict().size(); ++i) {
    CHECK(ours.as_dict()[i].first.as_string() == theirs.as_dict()[i].first.as_string());
  }
}

TEST_CASE("save_torch_state_dict refuses what it cannot write, and leaves no file", "[io]") {
  ScratchDir dir;
  const auto path = dir.file("model.pt");
  StateDict complex;
  complex.insert("ok", torch::ones({2}));
  complex.insert("z", torch::ones({2}, torch::kComplexFloat));
  require_error([&] { glide::io::save_torch_state_dict(complex, path); },
                "tensor 'z' has the dtype", Status::unsupported);
  StateDict bad_name;
  bad_name.insert("bad\xff", torch::ones({2}));
  require_error([&] { glide::io::save_torch_state_dict(bad_name, path); }, "is not UTF-8",
                Status::invalid_argument);
  CHECK(std::filesystem::is_empty(dir.path()));

  StateDict first;
  first.insert("x", torch::ones({2}));
  glide::io::save_torch_state_dict(first, path);
  const Bytes before = glide::test::read_bytes(path);
  StateDict second;
  second.insert("y", torch::zeros({3}));
  require_error([&] { glide::io::save_torch_state_dict(second, path); },
                "already exists; refusing to replace it unless asked to overwrite",
                Status::invalid_argument);
  CHECK(glide::test::read_bytes(path) == before);
  glide::io::save_torch_state_dict(second, path, /*overwrite=*/true);
  require_same(second, glide::io::load_torch_state_dict(path));
  CHECK(std::distance(std::filesystem::directory_iterator(dir.path()), {}) == 1);
}
