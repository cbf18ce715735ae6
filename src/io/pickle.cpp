#include "io/pickle.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <limits>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include "glide/error.hpp"
#include "io/bytes.hpp"

namespace glide::io::detail {

// The unpickler's way to fill the lists and dicts it creates; Value stays immutable elsewhere.
struct ValueAccess {
  static Value::List* list(Value& v) {
    auto* p = std::get_if<std::shared_ptr<Value::List>>(&v.data_);
    return p ? p->get() : nullptr;
  }
  static Value::Tuple* tuple(Value& v) {
    auto* p = std::get_if<std::shared_ptr<Value::Tuple>>(&v.data_);
    return p ? p->get() : nullptr;
  }
  static Value::Dict* dict(Value& v) {
    auto* p = std::get_if<std::shared_ptr<Value::Dict>>(&v.data_);
    return p ? p->get() : nullptr;
  }
  // The shared object behind a list, tuple or dict; nullptr for anything else.
  static const void* node(const Value& v) {
    if (auto* p = std::get_if<std::shared_ptr<Value::List>>(&v.data_)) return p->get();
    if (auto* p = std::get_if<std::shared_ptr<Value::Tuple>>(&v.data_)) return p->get();
    if (auto* p = std::get_if<std::shared_ptr<Value::Dict>>(&v.data_)) return p->get();
    return nullptr;
  }
};

namespace {

// Opcodes from CPython's Lib/pickletools.py; only those torch.save emits for tensors and plain
// data are accepted.
enum Op : uint8_t {
  kProto = 0x80,
  kFrame = 0x95,
  kStop = '.',
  kMark = '(',
  kEmptyDict = '}',
  kEmptyList = ']',
  kEmptyTuple = ')',
  kTuple = 't',
  kTuple1 = 0x85,
  kTuple2 = 0x86,
  kTuple3 = 0x87,
  kSetItem = 's',
  kSetItems = 'u',
  kAppend = 'a',
  kAppends = 'e',
  kBinPut = 'q',
  kLongBinPut = 'r',
  kMemoize = 0x94,
  kBinGet = 'h',
  kLongBinGet = 'j',
  kBinInt = 'J',
  kBinInt1 = 'K',
  kBinInt2 = 'M',
  kLong1 = 0x8a,
  kBinFloat = 'G',
  kBinUnicode = 'X',
  kShortBinUnicode = 0x8c,
  kBinUnicode8 = 0x8d,
  kNone = 'N',
  kNewTrue = 0x88,
  kNewFalse = 0x89,
  kGlobal = 'c',
  kStackGlobal = 0x93,
  kReduce = 'R',
  kBuild = 'b',
  kBinPersId = 'Q',
};

constexpr size_t kMaxGlobalName = 256;
constexpr size_t kMaxKeyBytes = 1 << 16;

struct StorageClass {
  const char* name;
  torch::Dtype dtype;
};
constexpr StorageClass kStorageClasses[] = {
    {"FloatStorage", torch::kFloat32},     {"HalfStorage", torch::kFloat16},
    {"BFloat16Storage", torch::kBFloat16}, {"DoubleStorage", torch::kFloat64},
    {"LongStorage", torch::kInt64},        {"IntStorage", torch::kInt32},
    {"ShortStorage", torch::kInt16},       {"CharStorage", torch::kInt8},
    {"ByteStorage", torch::kUInt8},        {"BoolStorage", torch::kBool},
};

enum class Callable { ordered_dict, rebuild_tensor_v2, rebuild_parameter, torch_size, storage };

std::optional<Callable> resolve(const std::string& module, const std::string& name) {
  if (module == "collections" && name == "OrderedDict") return Callable::ordered_dict;
  if (module == "torch._utils" && name == "_rebuild_tensor_v2") return Callable::rebuild_tensor_v2;
  if (module == "torch._utils" && name == "_rebuild_parameter") return Callable::rebuild_parameter;
  if (module == "torch" && name == "Size") return Callable::torch_size;
  if (module == "torch") {
    for (const auto& s : kStorageClasses) {
      if (name == s.name) return Callable::storage;
    }
  }
  return std::nullopt;
}

std::optional<torch::Dtype> storage_dtype(const Value::Global& g) {
  if (g.module != "torch") return std::nullopt;
  for (const auto& s : kStorageClasses) {
    if (g.name == s.name) return s.dtype;
  }
  return std::nullopt;
}

}  // namespace

bool valid_utf8(const uint8_t* s, size_t n) {
  size_t i = 0;
  while (i < n) {
    const uint8_t c = s[i];
    size_t len;
    uint32_t cp;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xe0) == 0xc0) {
      len = 2, cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      len = 3, cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      len = 4, cp = c & 0x07;
    } else {
      return false;
    }
    if (n - i < len) return false;
    for (size_t k = 1; k < len; ++k) {
      if ((s[i + k] & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (s[i + k] & 0x3f);
    }
    static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += len;
  }
  return true;
}

const char* storage_class_name(torch::Dtype dtype) {
  for (const auto& s : kStorageClasses) {
    if (s.dtype == dtype) return s.name;
  }
  return nullptr;
}

namespace {

// What the unpickler knows of each list, tuple and dict it made.
struct NodeInfo {
  size_t depth = 1;     // 1 + the deepest element's depth
  bool sealed = false;  // nested in another object: may no longer change (no cycles)
  std::unordered_map<std::string, size_t> keys;  // dicts: encoded key -> index
};

class Unpickler {
 public:
  Unpickler(const uint8_t* data, size_t size, const StorageLoader& load_storage,
            const std::string& what, const UnpickleLimits& limits)
      : data_(data), size_(size), load_storage_(load_storage), what_(what), limits_(limits) {}

  Value run() {
    while (true) {
      op_pos_ = pos_;
      const uint8_t op = *take(1);
      if (op == kStop) {
        if (!marks_.empty()) fail("STOP inside an unclosed MARK");
        if (stack_.size() != 1) {
          fail("STOP with " + std::to_string(stack_.size()) + " values on the stack (expected 1)");
        }
        return std::move(stack_.back());
      }
      step(op);
    }
  }

 private:
  [[noreturn]] void fail(const std::string& problem, Status status = Status::invalid_format) const {
    throw Error(status, what_ + ": " + problem + " (pickle byte " + std::to_string(op_pos_) + ")");
  }

  const uint8_t* take(uint64_t n) {
    if (n > size_ - pos_) {
      fail("truncated: " + std::to_string(n) + " bytes needed, " + std::to_string(size_ - pos_) +
           " left");
    }
    const uint8_t* p = data_ + pos_;
    pos_ += n;
    return p;
  }
  uint64_t take_le(int n) { return read_le(take(n), n); }

  std::string take_string(uint64_t n) {
    const uint8_t* p = take(n);
    if (!valid_utf8(p, n)) fail("a string is not valid UTF-8");
    return std::string(reinterpret_cast<const char*>(p), n);
  }

  std::string take_line() {
    const size_t limit = std::min(size_ - pos_, kMaxGlobalName + 1);
    const uint8_t* p = data_ + pos_;
    const uint8_t* nl = std::find(p, p + limit, '\n');
    if (nl == p + limit) fail("GLOBAL without a newline-terminated name");
    pos_ += (nl - p) + 1;
    return std::string(reinterpret_cast<const char*>(p), nl - p);
  }

  void push(Value v) {
    if (stack_.size() >= limits_.max_stack) {
      fail("more than " + std::to_string(limits_.max_stack) + " values on the stack");
    }
    stack_.push_back(std::move(v));
  }
  size_t fence() const { return marks_.empty() ? 0 : marks_.back(); }
  Value pop() {
    if (stack_.size() <= fence()) fail("stack underflow");
    Value v = std::move(stack_.back());
    stack_.pop_back();
    return v;
  }
  Value& top() {
    if (stack_.size() <= fence()) fail("stack underflow");
    return stack_.back();
  }
  std::vector<Value> pop_mark() {
    if (marks_.empty()) fail("no MARK to close");
    const size_t k = marks_.back();
    marks_.pop_back();
    std::vector<Value> items(std::make_move_iterator(stack_.begin() + k),
                             std::make_move_iterator(stack_.end()));
    stack_.resize(k);
    return items;
  }

  NodeInfo* info(const Value& v) {
    const void* n = ValueAccess::node(v);
    if (!n) return nullptr;
    auto it = infos_.find(n);
    if (it == infos_.end())
      fail("internal: an object the unpickler did not make", Status::internal);
    return &it->second;
  }
  Value make(Value v) {
    infos_[ValueAccess::node(v)] = NodeInfo{};
    return v;
  }
  // Records that `child` is now inside `parent`, which must not be `child` itself.
  void nest(const void* parent_node, NodeInfo& parent, const Value& child) {
    NodeInfo* c = info(child);
    if (!c) return;
    if (ValueAccess::node(child) == parent_node) {
      fail("an object that contains itself (recursive objects are not supported)",
           Status::unsupported);
    }
    c->sealed = true;
    parent.depth = std::max(parent.depth, c->depth + 1);
    if (parent.depth > limits_.max_depth) {
      fail("objects nested more than " + std::to_string(limits_.max_depth) + " deep");
    }
  }
  NodeInfo& modifiable(const Value& container, const char* what) {
    NodeInfo* i = info(container);
    if (!i) fail(std::string(what) + " on a " + container.type_name());
    if (i->sealed) {
      fail(std::string(what) +
               " changes an object after nesting it in another one (recursive "
               "objects are not supported)",
           Status::unsupported);
    }
    return *i;
  }

  Value make_tuple(std::vector<Value> items) {
    Value t = make(Value(Value::Tuple{{}}));
    NodeInfo& ti = *info(t);
    for (const Value& item : items) nest(ValueAccess::node(t), ti, item);
    ValueAccess::tuple(t)->items = std::move(items);
    return t;
  }

  void append(std::vector<Value> items) {
    Value& target = top();
    NodeInfo& ti = modifiable(target, "APPEND");
    Value::List* list = ValueAccess::list(target);
    if (!list) fail("APPEND on a " + target.type_name());
    for (const Value& item : items) nest(list, ti, item);
    list->insert(list->end(), std::make_move_iterator(items.begin()),
                 std::make_move_iterator(items.end()));
  }

  void encode_key(const Value& k, std::string& out) {
    if (out.size() > kMaxKeyBytes) fail("a dict key is too large");
    if (k.is_none()) {
      out += 'N';
    } else if (k.is_bool()) {
      out += k.as_bool() ? "i1;" : "i0;";
    } else if (k.is_int()) {
      out += 'i' + std::to_string(k.as_int()) + ';';
    } else if (k.is_float()) {
      // Python keys 1 and 1.0 are the same key.
      const double d = k.as_float();
      if (std::isfinite(d) && d == std::trunc(d) && std::fabs(d) < 9.2e18) {
        out += 'i' + std::to_string(static_cast<int64_t>(d)) + ';';
      } else {
        uint64_t bits;
        std::memcpy(&bits, &d, sizeof bits);
        out += 'f' + std::to_string(bits) + ';';
      }
    } else if (k.is_string()) {
      out += 's' + std::to_string(k.as_string().size()) + ':' + k.as_string();
    } else if (k.is_tuple()) {
      out += '(';
      for (const Value& item : k.as_tuple().items) encode_key(item, out);
      out += ')';
    } else {
      fail("a dict key of type " + k.type_name() + " is not hashable");
    }
  }

  void set_items(std::vector<Value> items) {
    if (items.size() % 2 != 0) fail("SETITEMS with an odd number of values");
    Value& target = top();
    NodeInfo& ti = modifiable(target, "SETITEM");
    Value::Dict* dict = ValueAccess::dict(target);
    if (!dict) fail("SETITEM on a " + target.type_name());
    for (size_t i = 0; i < items.size(); i += 2) {
      std::string key;
      encode_key(items[i], key);
      nest(dict, ti, items[i]);
      nest(dict, ti, items[i + 1]);
      auto [it, inserted] = ti.keys.emplace(std::move(key), dict->size());
      if (inserted) {
        dict->emplace_back(std::move(items[i]), std::move(items[i + 1]));
      } else {
        (*dict)[it->second].second = std::move(items[i + 1]);
      }
    }
  }

  void memo_put(uint64_t index) {
    auto it = memo_.find(index);
    if (it != memo_.end()) {
      it->second = top();
      return;
    }
    if (memo_.size() >= limits_.max_memo) {
      fail("more than " + std::to_string(limits_.max_memo) + " memo entries");
    }
    memo_.emplace(index, top());
  }
  void memo_get(uint64_t index) {
    auto it = memo_.find(index);
    if (it == memo_.end()) fail("memo entry " + std::to_string(index) + " was never stored");
    push(it->second);
  }

  void global(std::string module, std::string name) {
    auto valid = [](const std::string& s) {
      return !s.empty() && s.size() <= kMaxGlobalName &&
             std::all_of(s.begin(), s.end(), [](char c) {
               return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.';
             });
    };
    if (!valid(module) || !valid(name)) fail("a malformed GLOBAL name");
    if (!resolve(module, name)) {
      fail("the pickle refers to the global '" + module + "." + name +
               "', which is not allowed (a checkpoint may only use collections.OrderedDict, "
               "torch._utils._rebuild_tensor_v2, torch._utils._rebuild_parameter, torch.Size "
               "and torch.<Type>Storage); nothing was executed",
           Status::unsupported);
    }
    push(Value(Value::Global{std::move(module), std::move(name)}));
  }

  int64_t int_arg(const Value& v, const char* role) {
    if (!v.is_int()) fail(std::string(role) + " is a " + v.type_name() + ", expected an int");
    return v.as_int();
  }
  std::vector<int64_t> ints_arg(const Value& v, const char* role) {
    if (!v.is_tuple()) fail(std::string(role) + " is a " + v.type_name() + ", expected a tuple");
    const auto& items = v.as_tuple().items;
    if (items.size() > limits_.max_dims) {
      fail(std::string(role) + " has " + std::to_string(items.size()) + " dimensions (at most " +
           std::to_string(limits_.max_dims) + ")");
    }
    std::vector<int64_t> out;
    for (const Value& item : items) {
      const int64_t n = int_arg(item, role);
      if (n < 0) fail(std::string(role) + " holds the negative value " + std::to_string(n));
      out.push_back(n);
    }
    return out;
  }

  // torch._utils._rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad,
  // backward_hooks[, metadata]): a strided view of a storage.
  Value rebuild_tensor(const std::vector<Value>& a) {
    if (a.size() != 6 && a.size() != 7) {
      fail("_rebuild_tensor_v2 with " + std::to_string(a.size()) + " arguments (expected 6 or 7)");
    }
    if (!a[0].is_tensor() || !storages_.count(a[0].as_tensor().unsafeGetTensorImpl())) {
      fail("_rebuild_tensor_v2's first argument is not a storage");
    }
    const torch::Tensor& storage = a[0].as_tensor();
    const int64_t offset = int_arg(a[1], "a tensor's storage offset");
    const auto sizes = ints_arg(a[2], "a tensor's size");
    const auto strides = ints_arg(a[3], "a tensor's stride");
    if (sizes.size() != strides.size()) {
      fail("a tensor with " + std::to_string(sizes.size()) + " sizes but " +
           std::to_string(strides.size()) + " strides");
    }
    if (offset < 0) fail("a tensor with the negative storage offset " + std::to_string(offset));
    // The last element's index must lie inside the storage (an empty view needs only its offset).
    const auto storage_numel = static_cast<uint64_t>(storage.numel());
    uint64_t last = static_cast<uint64_t>(offset);
    const bool empty = std::find(sizes.begin(), sizes.end(), 0) != sizes.end();
    uint64_t numel = 1;
    for (size_t i = 0; i < sizes.size(); ++i) {
      // An empty tensor's other sizes must still multiply within int64, as LibTorch's numel does.
      if (sizes[i] == 0) continue;
      if (__builtin_mul_overflow(numel, static_cast<uint64_t>(sizes[i]), &numel) ||
          numel > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        fail("a tensor with more elements than an int64 counts");
      }
      if (empty) continue;
      uint64_t span;
      if (__builtin_mul_overflow(static_cast<uint64_t>(sizes[i] - 1),
                                 static_cast<uint64_t>(strides[i]), &span) ||
          __builtin_add_overflow(last, span, &last)) {
        fail("a tensor's size and stride overflow");
      }
    }
    if (empty ? last > storage_numel : last >= storage_numel) {
      std::string shape;
      for (size_t i = 0; i < sizes.size(); ++i) shape += (i ? ", " : "") + std::to_string(sizes[i]);
      fail("a tensor of shape [" + shape + "] at storage offset " + std::to_string(offset) +
           " needs element " + std::to_string(last) + " of a storage holding " +
           std::to_string(storage_numel));
    }
    if (!a[4].is_bool()) fail("_rebuild_tensor_v2's requires_grad is not a bool");
    return storage.as_strided(sizes, strides, offset);
  }

  void reduce() {
    const Value args = pop();
    const Value callable = pop();
    if (!callable.is_global()) fail("REDUCE calls a " + callable.type_name());
    if (!args.is_tuple()) fail("REDUCE with arguments of type " + args.type_name());
    const auto& a = args.as_tuple().items;
    const Value::Global& g = callable.as_global();
    switch (*resolve(g.module, g.name)) {
      case Callable::ordered_dict:
        if (!a.empty()) fail("collections.OrderedDict with arguments", Status::unsupported);
        push(make(Value(Value::Dict{})));
        return;
      case Callable::torch_size:
        if (a.size() != 1) fail("torch.Size with " + std::to_string(a.size()) + " arguments");
        ints_arg(a[0], "torch.Size");
        push(a[0]);
        return;
      case Callable::rebuild_parameter:
        if (a.empty() || !a[0].is_tensor()) fail("_rebuild_parameter without a tensor");
        push(a[0]);
        return;
      case Callable::rebuild_tensor_v2: push(rebuild_tensor(a)); return;
      case Callable::storage: fail("torch." + g.name + " cannot be called", Status::unsupported);
    }
  }

  // ('storage', torch.<Type>Storage, key, location, numel)
  void persistent_load() {
    const Value pid = pop();
    if (!pid.is_tuple()) fail("BINPERSID with a " + pid.type_name());
    const auto& a = pid.as_tuple().items;
    if (a.size() != 5 || !a[0].is_string() || a[0].as_string() != "storage") {
      fail("BINPERSID with something other than ('storage', type, key, location, size)");
    }
    const auto dtype = a[1].is_global() ? storage_dtype(a[1].as_global()) : std::nullopt;
    if (!dtype) fail("a storage of type " + a[1].type_name());
    if (!a[2].is_string() || !a[3].is_string()) fail("a storage key or location is not a string");
    StorageRequest request{a[2].as_string(), *dtype, int_arg(a[4], "a storage's size"),
                           a[3].as_string()};
    if (request.numel < 0) fail("storage '" + request.key + "' has a negative size");
    torch::Tensor storage = load_storage_(request);
    if (storage.dim() != 1 || storage.numel() != request.numel ||
        storage.scalar_type() != request.dtype) {
      fail("internal: the storage loader returned the wrong tensor", Status::internal);
    }
    storages_.insert(storage.unsafeGetTensorImpl());
    storage_refs_.push_back(storage);
    push(Value(std::move(storage)));
  }

  void build() {
    const Value state = pop();
    Value& target = top();
    // An OrderedDict's state is its attributes, such as the state dict's `_metadata`: ignored.
    if (!ValueAccess::dict(target)) {
      fail("BUILD on a " + target.type_name(), Status::unsupported);
    }
    if (!state.is_dict() && !state.is_tuple() && !state.is_none()) {
      fail("BUILD with a state of type " + state.type_name());
    }
  }

  void step(uint8_t op) {
    switch (op) {
      case kProto: {
        const uint8_t version = *take(1);
        if (version > 5) fail("pickle protocol " + std::to_string(version), Status::unsupported);
        return;
      }
      case kFrame: {
        const uint64_t n = take_le(8);
        if (n > size_ - pos_) fail("a FRAME longer than the pickle");
        return;
      }
      case kMark:
        if (marks_.size() >= limits_.max_stack) fail("too many MARKs");
        marks_.push_back(stack_.size());
        return;
      case kEmptyDict: push(make(Value(Value::Dict{}))); return;
      case kEmptyList: push(make(Value(Value::List{}))); return;
      case kEmptyTuple: push(make_tuple({})); return;
      case kTuple: push(make_tuple(pop_mark())); return;
      case kTuple1:
      case kTuple2:
      case kTuple3: {
        std::vector<Value> items(op - kTuple1 + 1);
        for (size_t i = items.size(); i-- > 0;) items[i] = pop();
        push(make_tuple(std::move(items)));
        return;
      }
      case kAppend: {
        std::vector<Value> items;
        items.push_back(pop());
        append(std::move(items));
        return;
      }
      case kAppends: append(pop_mark()); return;
      case kSetItem: {
        std::vector<Value> items(2);
        items[1] = pop();
        items[0] = pop();
        set_items(std::move(items));
        return;
      }
      case kSetItems: set_items(pop_mark()); return;
      case kBinPut: memo_put(*take(1)); return;
      case kLongBinPut: memo_put(take_le(4)); return;
      case kMemoize: memo_put(memo_.size()); return;
      case kBinGet: memo_get(*take(1)); return;
      case kLongBinGet: memo_get(take_le(4)); return;
      case kBinInt: push(Value(static_cast<int64_t>(static_cast<int32_t>(take_le(4))))); return;
      case kBinInt1: push(Value(static_cast<int64_t>(*take(1)))); return;
      case kBinInt2: push(Value(static_cast<int64_t>(take_le(2)))); return;
      case kLong1: {
        const uint8_t n = *take(1);
        if (n > 8) fail("an integer wider than 64 bits", Status::unsupported);
        uint64_t v = n ? take_le(n) : 0;
        if (n > 0 && n < 8 && (v >> (8 * n - 1)) != 0) v |= ~uint64_t{0} << (8 * n);
        push(Value(static_cast<int64_t>(v)));
        return;
      }
      case kBinFloat: {
        const uint8_t* p = take(8);
        uint64_t bits = 0;
        for (int i = 0; i < 8; ++i) bits = (bits << 8) | p[i];  // big-endian
        double d;
        std::memcpy(&d, &bits, sizeof d);
        push(Value(d));
        return;
      }
      case kBinUnicode: push(Value(take_string(take_le(4)))); return;
      case kShortBinUnicode: push(Value(take_string(*take(1)))); return;
      case kBinUnicode8: push(Value(take_string(take_le(8)))); return;
      case kNone: push(Value()); return;
      case kNewTrue: push(Value(true)); return;
      case kNewFalse: push(Value(false)); return;
      case kGlobal: {
        std::string module = take_line();
        std::string name = take_line();
        global(std::move(module), std::move(name));
        return;
      }
      case kStackGlobal: {
        const Value name = pop();
        const Value module = pop();
        if (!name.is_string() || !module.is_string()) fail("STACK_GLOBAL without two strings");
        global(module.as_string(), name.as_string());
        return;
      }
      case kReduce: reduce(); return;
      case kBuild: build(); return;
      case kBinPersId: persistent_load(); return;
      default: {
        static const char* hex = "0123456789abcdef";
        fail(std::string("unsupported pickle opcode 0x") + hex[op >> 4] + hex[op & 15]);
      }
    }
  }

  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
  size_t op_pos_ = 0;
  const StorageLoader& load_storage_;
  const std::string& what_;
  UnpickleLimits limits_;
  std::vector<Value> stack_;
  std::vector<size_t> marks_;
  std::unordered_map<uint64_t, Value> memo_;
  std::unordered_map<const void*, NodeInfo> infos_;
  std::unordered_set<const void*> storages_;
  std::vector<torch::Tensor> storage_refs_;  // keeps storages_'s pointers valid
};

}  // namespace

Value unpickle(const uint8_t* data, size_t size, const StorageLoader& load_storage,
               const std::string& what, const UnpickleLimits& limits) {
  return Unpickler(data, size, load_storage, what, limits).run();
}

}  // namespace glide::io::detail
