// The restricted unpickler on hand-made pickles and on damaged copies of a real one.
#include <map>

#include "glide/error.hpp"
#include "glide/io/value.hpp"
#include "io/file_bytes.hpp"
#include "io/pickle.hpp"
#include "io/zip_index.hpp"
#include "io_test_util.hpp"
#include "support/catch_torch.hpp"
#include "support/goldens.hpp"
#include "support/require_error.hpp"

using glide::Error;
using glide::Status;
using glide::io::Value;
using glide::io::detail::StorageLoader;
using glide::io::detail::StorageRequest;
using glide::io::detail::unpickle;
using glide::test::Bytes;
using glide::test::Pickle;

using glide::test::require_error;

namespace {

// Storages 0, 1, 2, ... of the requested size (arange), the same tensor for the same key.
struct ArangeStorages {
  std::map<std::string, torch::Tensor> made;
  StorageLoader loader() {
    return [this](const StorageRequest& r) {
      if (r.numel > (1 << 20)) throw Error(Status::invalid_format, "test storage too large");
      auto it = made.find(r.key);
      if (it != made.end()) return it->second;
      auto t = r.dtype == torch::kBool ? torch::zeros({r.numel}, torch::kBool)
                                       : torch::arange(r.numel, torch::dtype(r.dtype));
      made.emplace(r.key, t);
      return t;
    };
  }
};

Value run(const Bytes& b) {
  ArangeStorages storages;
  return unpickle(b.data(), b.size(), storages.loader(), "test.pkl");
}

void require_error_in(const Bytes& b, const std::string& part,
                      Status status = Status::invalid_format) {
  require_error([&] { run(b); }, part, status);
}

}  // namespace

TEST_CASE("unpickler reads plain Python data", "[io]") {
  Pickle p;
  p.op('}').op('q').byte(0).mark();
  p.str("int").integer(-5);
  p.str("small").op('K').byte(200);
  p.str("medium").op('M').le(60000, 2);
  p.str("big").integer(int64_t{1} << 40);
  p.str("negative long").op(0x8a).byte(2).le(0xff00, 2);               // -256 in two bytes
  p.str("float").op('G').raw(std::string("\x3f\xf8\0\0\0\0\0\0", 8));  // 1.5
  p.str("list").op(']').mark().str("a").op('N').op(0x88).op(0x89).op('e');
  p.str("tuple").integer(1).integer(2).op(0x86);
  p.str("short").op(0x8c).byte(2).raw("hi");
  p.str("long string").op(0x8d).le(3, 8).raw("abc");
  p.op('u');
  const Value v = run(p.stopped());

  REQUIRE(v.is_dict());
  CHECK(v.as_dict().size() == 10);
  CHECK(v.at("int").as_int() == -5);
  CHECK(v.at("small").as_int() == 200);
  CHECK(v.at("medium").as_int() == 60000);
  CHECK(v.at("big").as_int() == (int64_t{1} << 40));
  CHECK(v.at("negative long").as_int() == -256);
  CHECK(v.at("float").as_float() == 1.5);
  CHECK(v.at("int").as_float() == -5.0);
  const auto& list = v.at("list").as_list();
  REQUIRE(list.size() == 4);
  CHECK(list[0].as_string() == "a");
  CHECK(list[1].is_none());
  CHECK(list[2].as_bool());
  CHECK_FALSE(list[3].as_bool());
  CHECK(v.at("tuple").as_tuple().items.at(1).as_int() == 2);
  CHECK(v.at("short").as_string() == "hi");
  CHECK(v.at("long string").as_string() == "abc");
  CHECK(v.find("absent") == nullptr);
  require_error([&] { v.at("absent"); }, "absent", Status::not_found);
  require_error([&] { v.at("int").as_string(); }, "expected a pickled string, got int");
}

TEST_CASE("unpickler follows the memo, protocol 4 opcodes and OrderedDict", "[io]") {
  Pickle p;
  p.op(0x95).le(0, 8);  // FRAME
  p.op(0x8c).byte(11).raw("collections").op(0x94);
  p.op(0x8c).byte(11).raw("OrderedDict").op(0x94).op(0x93).op(0x94);  // STACK_GLOBAL
  p.op(')').op('R').op(0x94);
  p.mark().str("x").op(']').op('r').le(70000, 4).integer(7).op('a');
  p.str("y").op('j').le(70000, 4);  // the same list again
  p.op('u');
  p.op('}').str("_metadata").op('h').byte(2).op(')').op('R').op('s').op('b');  // BUILD
  const Value v = run(p.stopped());
  REQUIRE(v.is_dict());
  REQUIRE(v.at("x").as_list().size() == 1);
  CHECK(v.at("y").as_list().at(0).as_int() == 7);
  CHECK(&v.at("x").as_list() == &v.at("y").as_list());  // shared, as in Python
}

TEST_CASE("unpickler keeps the last value of a repeated dict key", "[io]") {
  Pickle p;
  p.op('}').mark().str("k").integer(1).integer(1).str("int key").str("k").integer(2).op('u');
  p.op(0x88).str("bool key").op('s');  // True == 1 in Python
  const Value v = run(p.stopped());
  REQUIRE(v.as_dict().size() == 2);
  CHECK(v.at("k").as_int() == 2);
  CHECK(v.as_dict()[1].second.as_string() == "bool key");
}

TEST_CASE("unpickler refuses globals outside the allowlist", "[io]") {
  // The classic exploit: os.system('...') through REDUCE.
  Pickle os_system;
  os_system.global("os", "system").str("echo pwned").op(0x85).op('R');
  require_error_in(os_system.stopped(), "'os.system'", Status::unsupported);

  Pickle eval;
  eval.global("builtins", "eval").str("1+1").op(0x85).op('R');
  require_error_in(eval.stopped(), "'builtins.eval'", Status::unsupported);

  Pickle stack_global;
  stack_global.str("subprocess").str("Popen").op(0x93);
  require_error_in(stack_global.stopped(), "'subprocess.Popen'", Status::unsupported);

  Pickle posix;
  posix.global("posix", "system");
  require_error_in(posix.stopped(), "'posix.system'", Status::unsupported);

  Pickle storage_call;
  storage_call.global("torch", "FloatStorage").op(')').op('R');
  require_error_in(storage_call.stopped(), "cannot be called", Status::unsupported);

  Pickle malformed;
  malformed.op('c').raw("os system\nx\n");
  require_error_in(malformed.stopped(), "malformed GLOBAL");
}

TEST_CASE("unpickler rebuilds strided views of shared storages", "[io]") {
  Pickle p;
  p.op('}').mark();
  p.str("matrix").tensor("FloatStorage", "0", 12, 0, {3, 4}, {4, 1});
  p.str("transposed").tensor("FloatStorage", "0", 12, 0, {4, 3}, {1, 4});
  p.str("offset").tensor("FloatStorage", "0", 12, 5, {3}, {2});
  p.str("scalar").tensor("FloatStorage", "0", 12, 11, {}, {});
  p.str("empty").tensor("FloatStorage", "0", 12, 12, {0, 5}, {5, 1});
  p.str("longs").tensor("LongStorage", "1", 3, 0, {3}, {1});
  p.str("expanded").tensor("FloatStorage", "0", 12, 3, {1000, 2}, {0, 1});
  p.op('u');
  ArangeStorages storages;
  const Bytes b = p.stopped();
  const Value v = unpickle(b.data(), b.size(), storages.loader(), "test.pkl");
  const auto base = torch::arange(12, torch::kFloat32);
  CHECK(torch::equal(v.at("matrix").as_tensor(), base.view({3, 4})));
  CHECK(torch::equal(v.at("transposed").as_tensor(), base.view({3, 4}).t()));
  CHECK(torch::equal(v.at("offset").as_tensor(), torch::tensor({5.f, 7.f, 9.f})));
  CHECK(v.at("scalar").as_tensor().dim() == 0);
  CHECK(v.at("scalar").as_tensor().item<float>() == 11.f);
  CHECK(v.at("empty").as_tensor().sizes() == torch::IntArrayRef({0, 5}));
  CHECK(v.at("longs").as_tensor().dtype() == torch::kInt64);
  CHECK(torch::equal(v.at("expanded").as_tensor(), base.slice(0, 3, 5).expand({1000, 2})));
  // One storage behind all the float views.
  CHECK(v.at("transposed").as_tensor().data_ptr() == v.at("matrix").as_tensor().data_ptr());
  CHECK(v.at("offset").as_tensor().storage().data() == v.at("matrix").as_tensor().storage().data());
}

TEST_CASE("unpickler refuses tensors that do not fit their storage", "[io]") {
  auto one = [](int64_t numel, int64_t offset, std::vector<int64_t> sizes,
                std::vector<int64_t> strides) {
    Pickle p;
    p.tensor("FloatStorage", "0", numel, offset, sizes, strides);
    return p.stopped();
  };
  require_error_in(one(12, 1, {3, 4}, {4, 1}), "needs element 12 of a storage holding 12");
  require_error_in(one(12, 0, {4, 4}, {4, 1}), "storage holding 12");
  require_error_in(one(12, 13, {0}, {1}), "storage holding 12");
  require_error_in(one(12, 0, {int64_t{1} << 31, 2}, {int64_t{1} << 62, 1}), "overflow");
  require_error_in(one(12, 0, {int64_t{1} << 61, 2}, {1, int64_t{1} << 61}), "storage holding");
  require_error_in(one(12, 0, {3, 4}, {4}), "2 sizes but 1 strides");
  require_error_in(one(12, -1, {3}, {1}), "negative storage offset");
  require_error_in(one(12, 0, {-3}, {1}), "negative value");
  require_error_in(one(12, 0, std::vector<int64_t>(65, 1), std::vector<int64_t>(65, 1)),
                   "dimensions");
  require_error_in(one(1, 0, {int64_t{1} << 32, int64_t{1} << 32, int64_t{1} << 32}, {0, 0, 0}),
                   "more elements than an int64 counts");
  // Empty, yet its other sizes overflow LibTorch's element count: refused by name, not by LibTorch.
  require_error_in(one(1, 0, {int64_t{1} << 62, int64_t{1} << 62, 0}, {0, 0, 0}),
                   "more elements than an int64 counts");
  // A huge declared storage reaches the loader, which refuses it before allocating.
  require_error_in(one(int64_t{1} << 60, 0, {1}, {1}), "test storage too large");

  // The first argument must be a storage, not a tensor built from one.
  Pickle fake;
  fake.global("torch._utils", "_rebuild_tensor_v2").mark();
  fake.tensor("FloatStorage", "0", 4, 0, {2}, {1});
  fake.integer(0).ints({100}).ints({1}).op(0x89).op('}').op('t').op('R');
  require_error_in(fake.stopped(), "not a storage");
}

TEST_CASE("unpickler refuses malformed pickles", "[io]") {
  require_error_in({}, "truncated");
  require_error_in({0x80, 2}, "truncated");
  require_error_in({0x80, 2, 0xff, '.'}, "unsupported pickle opcode 0xff");
  require_error_in({0x80, 6, 'N', '.'}, "protocol 6", Status::unsupported);
  require_error_in({0x80, 2, '.'}, "STOP with 0 values");
  require_error_in({0x80, 2, 'N', 'N', '.'}, "STOP with 2 values");
  require_error_in({0x80, 2, '(', 'N', '.'}, "unclosed MARK");
  require_error_in({0x80, 2, 'N', 'R', '.'}, "stack underflow");
  require_error_in({0x80, 2, 'N', '(', 'a', '.'}, "stack underflow");  // the MARK fences
  require_error_in({0x80, 2, 'h', 3, '.'}, "memo entry 3 was never stored");
  require_error_in({0x80, 2, ']', 'N', 'N', 's', '.'}, "SETITEM on a list");
  require_error_in({0x80, 2, '}', ']', 'N', 's', '.'}, "not hashable");
  require_error_in({0x80, 2, '}', '(', 'N', 'u', '.'}, "odd number");
  require_error_in({0x80, 2, 'X', 0xff, 0xff, 0xff, 0xff, 'a'}, "truncated");
  require_error_in({0x80, 2, 0x8d, 0, 0, 0, 0, 0, 0, 0, 0x80, 'a'}, "truncated");
  require_error_in({0x80, 2, 0x95, 0, 0, 0, 0, 0, 0, 0, 0x80, 'N', '.'}, "FRAME");
  require_error_in({0x80, 2, 0x8c, 2, 0xc3, 0x28, '.'}, "UTF-8");
  require_error_in({0x80, 2, 0x8a, 9, 1, 2, 3, 4, 5, 6, 7, 8, 9, '.'}, "64 bits",
                   Status::unsupported);
  require_error_in({0x80, 2, 'c', 'o', 's'}, "newline");

  // Every prefix of a valid pickle is an error, never a crash.
  Pickle p;
  p.op('}').mark().str("t").tensor("HalfStorage", "0", 4, 0, {2, 2}, {2, 1}).op('u');
  const Bytes full = p.stopped();
  REQUIRE(run(full).at("t").as_tensor().dtype() == torch::kFloat16);
  for (size_t n = 0; n + 1 < full.size(); ++n) {
    INFO("prefix of " << n << " bytes");
    CHECK_THROWS_AS(run(Bytes(full.begin(), full.begin() + n)), Error);
  }
}

TEST_CASE("unpickler refuses recursive objects and bounds nesting", "[io]") {
  // l = []; l.append(l)
  require_error_in({0x80, 2, ']', 'q', 0, 'h', 0, 'a', '.'}, "contains itself",
                   Status::unsupported);
  // a = []; b = [a]; a.append(b): a changes after being nested.
  require_error_in({0x80, 2, ']', 'q', 0, ']', 'h', 0, 'a', 'q', 1, 'h', 0, 'h', 1, 'a', '.'},
                   "after nesting", Status::unsupported);
  // 100 nested lists.
  Bytes deep = {0x80, 2};
  for (int i = 0; i < 100; ++i) deep.push_back(']');
  for (int i = 0; i < 99; ++i) deep.push_back('a');
  deep.push_back('.');
  require_error_in(deep, "nested more than 64 deep");
  // Too many values on the stack.
  glide::io::detail::UnpickleLimits limits;
  limits.max_stack = 10;
  Bytes wide = {0x80, 2};
  for (int i = 0; i < 11; ++i) wide.push_back('N');
  ArangeStorages storages;
  require_error([&] { unpickle(wide.data(), wide.size(), storages.loader(), "w", limits); },
                "more than 10 values on the stack");
}

TEST_CASE("unpickler shares repeated objects instead of copying them", "[io]") {
  // l0 = [1]; l(k+1) = [lk] * 10 through the memo: 10^40 leaves if references were copies.
  Bytes b = {0x80, 2, '(', ']', 'K', 1, 'a', 'q', 0};
  for (uint8_t level = 1; level <= 40; ++level) {
    b.insert(b.end(), {']', '('});
    for (int i = 0; i < 10; ++i) b.insert(b.end(), {'h', static_cast<uint8_t>(level - 1)});
    b.insert(b.end(), {'e', 'q', level});
  }
  b.insert(b.end(), {'t', '.'});
  const Value v = run(b);
  REQUIRE(v.as_tuple().items.size() == 41);
  const auto& last = v.as_tuple().items.back().as_list();
  REQUIRE(last.size() == 10);
  CHECK(&last[0].as_list() == &last[9].as_list());
}

TEST_CASE("unpickler survives every single-byte corruption of a real data.pkl", "[io]") {
  GLIDE_REQUIRE_GOLDEN(path, "forward_text2im.pt");
  const auto file = glide::io::detail::FileBytes::open(path);
  const auto zip = glide::io::detail::ZipIndex::parse(file->data(), file->size(), path);
  const auto* entry = zip.find("forward_text2im/data.pkl");
  REQUIRE(entry);
  REQUIRE(entry->stored());
  const Bytes original(file->data() + entry->data_offset,
                       file->data() + entry->data_offset + entry->size);
  REQUIRE(run(original).is_dict());
  size_t ok = 0, refused = 0;
  for (size_t i = 0; i < original.size(); ++i) {
    for (uint8_t replacement : {uint8_t{0x00}, uint8_t{0xff}, uint8_t(original[i] ^ 0x01),
                                uint8_t{'('}, uint8_t{'h'}, uint8_t{'R'}}) {
      Bytes damaged = original;
      damaged[i] = replacement;
      try {
        run(damaged);
        ++ok;
      } catch (const Error&) {
        ++refused;
      }
    }
  }
  CHECK(refused > 0);
  CHECK(ok + refused == original.size() * 6);
}
