// Writes the pickle opcodes (CPython's Lib/pickletools.py) that torch.save emits for a state
// dict, and no others, so both Python's unpickler and LibTorch's own (torch::jit::pickle_load)
// read the result.
#include "io/pickle_writer.hpp"

#include <algorithm>
#include <limits>
#include <map>

#include "glide/error.hpp"
#include "io/pickle.hpp"

namespace glide::io::detail {
namespace {

// Python's pickler writes dict items in batches of this many (MARK ... SETITEMS).
constexpr size_t kBatch = 1000;

class Writer {
 public:
  Writer() {
    op(0x80);  // PROTO 2
    op(2);
  }

  void op(uint8_t c) { out_.push_back(c); }
  void le(uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) out_.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
  void raw(const std::string& s) { out_.insert(out_.end(), s.begin(), s.end()); }

  void integer(int64_t v) {
    if (v >= 0 && v <= 0xff) {
      op('K');  // BININT1
      le(static_cast<uint64_t>(v), 1);
    } else if (v >= 0 && v <= 0xffff) {
      op('M');  // BININT2
      le(static_cast<uint64_t>(v), 2);
    } else if (v >= std::numeric_limits<int32_t>::min() &&
               v <= std::numeric_limits<int32_t>::max()) {
      op('J');  // BININT, signed
      le(static_cast<uint32_t>(static_cast<int32_t>(v)), 4);
    } else {
      op(0x8a);  // LONG1: n bytes of little-endian two's complement
      op(8);
      le(static_cast<uint64_t>(v), 8);
    }
  }

  void string(const std::string& s) {
    if (s.size() > std::numeric_limits<uint32_t>::max() ||
        !valid_utf8(reinterpret_cast<const uint8_t*>(s.data()), s.size())) {
      throw Error(Status::invalid_argument,
                  "the name '" + s + "' cannot be pickled (not UTF-8, or too long)");
    }
    op('X');  // BINUNICODE
    le(s.size(), 4);
    raw(s);
  }

  // Strings and globals that recur in every entry are written once and then fetched from the
  // memo, as Python's pickler does.
  void shared_string(const std::string& s) {
    if (!recall("s" + s)) {
      string(s);
      remember("s" + s);
    }
  }
  void global(const std::string& module, const std::string& name) {
    const std::string key = "g" + module + "\n" + name;
    if (recall(key)) return;
    op('c');  // GLOBAL
    raw(module + "\n" + name + "\n");
    remember(key);
  }

  void int_tuple(const std::vector<int64_t>& values) {
    if (values.empty()) return op(')');  // EMPTY_TUPLE
    if (values.size() > 3) op('(');      // MARK
    for (int64_t v : values) integer(v);
    if (values.size() <= 3) return op(static_cast<uint8_t>(0x85 + values.size() - 1));  // TUPLEn
    op('t');                                                                            // TUPLE
  }

  // collections.OrderedDict(): what _rebuild_tensor_v2 takes as backward hooks, and the state
  // dict itself.
  void empty_ordered_dict() {
    global("collections", "OrderedDict");
    op(')');
    op('R');  // REDUCE
  }

  std::vector<uint8_t> finish() {
    op('.');  // STOP
    return std::move(out_);
  }

 private:
  bool recall(const std::string& key) {
    const auto it = memo_.find(key);
    if (it == memo_.end()) return false;
    if (it->second <= 0xff) {
      op('h');  // BINGET
      le(it->second, 1);
    } else {
      op('j');  // LONG_BINGET
      le(it->second, 4);
    }
    return true;
  }
  void remember(const std::string& key) {
    const auto index = static_cast<uint32_t>(memo_.size());
    memo_.emplace(key, index);
    if (index <= 0xff) {
      op('q');  // BINPUT
      le(index, 1);
    } else {
      op('r');  // LONG_BINPUT
      le(index, 4);
    }
  }

  std::vector<uint8_t> out_;
  std::map<std::string, uint32_t> memo_;
};

void write_tensor(Writer& w, const PickledTensor& t) {
  const char* storage_class = storage_class_name(t.dtype);
  if (!storage_class) {
    throw Error(Status::invalid_argument,
                "tensor '" + t.name + "' has a dtype no torch storage class is known for");
  }
  w.global("torch._utils", "_rebuild_tensor_v2");
  w.op('(');
  w.op('(');
  w.shared_string("storage");
  w.global("torch", storage_class);
  w.string(t.storage_key);
  w.shared_string("cpu");
  w.integer(t.storage_numel);
  w.op('t');
  w.op('Q');  // BINPERSID: the unpickler's persistent_load turns the tuple into the storage
  w.integer(t.offset);
  w.int_tuple(t.sizes);
  w.int_tuple(t.strides);
  w.op(0x89);  // NEWFALSE: requires_grad
  w.empty_ordered_dict();
  w.op('t');
  w.op('R');
}

}  // namespace

std::vector<uint8_t> pickle_state_dict(const std::vector<PickledTensor>& tensors,
                                       TorchDictKind kind) {
  Writer w;
  if (kind == TorchDictKind::ordered_dict) {
    w.empty_ordered_dict();
  } else {
    w.op('}');  // EMPTY_DICT
  }
  for (size_t begin = 0; begin < tensors.size(); begin += kBatch) {
    w.op('(');
    for (size_t i = begin; i < std::min(tensors.size(), begin + kBatch); ++i) {
      w.string(tensors[i].name);
      write_tensor(w, tensors[i]);
    }
    w.op('u');  // SETITEMS
  }
  return w.finish();
}

}  // namespace glide::io::detail
