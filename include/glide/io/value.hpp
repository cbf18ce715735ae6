#pragma once

#include <torch/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace glide::io {

namespace detail {
struct ValueAccess;
}

// A value read from a pickle: what torch.save writes for dicts of tensors and plain Python data.
// Lists, tuples and dicts are shared between copies of a Value (as Python objects are shared
// between the places that refer to them) and never change once read, so copying is cheap.
class Value {
 public:
  struct None {};
  using List = std::vector<Value>;
  struct Tuple {
    std::vector<Value> items;
  };
  // Insertion-ordered, as Python dicts and OrderedDicts are. Keys may be any hashable value.
  using Dict = std::vector<std::pair<Value, Value>>;
  // A reference to a Python class or function (only those the reader allows, such as
  // torch.FloatStorage), as it appears inside a pickle.
  struct Global {
    std::string module;
    std::string name;
  };

  Value() : data_(None{}) {}
  Value(None) : data_(None{}) {}
  Value(bool v) : data_(v) {}
  Value(int v) : data_(static_cast<int64_t>(v)) {}
  Value(int64_t v) : data_(v) {}
  Value(double v) : data_(v) {}
  Value(std::string v) : data_(std::move(v)) {}
  Value(const char* v) : data_(std::string(v)) {}
  Value(torch::Tensor v) : data_(std::move(v)) {}
  Value(Global v) : data_(std::move(v)) {}
  Value(List v) : data_(std::make_shared<List>(std::move(v))) {}
  Value(Tuple v) : data_(std::make_shared<Tuple>(std::move(v))) {}
  Value(Dict v) : data_(std::make_shared<Dict>(std::move(v))) {}

  bool is_none() const { return std::holds_alternative<None>(data_); }
  bool is_bool() const { return std::holds_alternative<bool>(data_); }
  bool is_int() const { return std::holds_alternative<int64_t>(data_); }
  bool is_float() const { return std::holds_alternative<double>(data_); }
  bool is_string() const { return std::holds_alternative<std::string>(data_); }
  bool is_tensor() const { return std::holds_alternative<torch::Tensor>(data_); }
  bool is_global() const { return std::holds_alternative<Global>(data_); }
  bool is_list() const { return std::holds_alternative<std::shared_ptr<List>>(data_); }
  bool is_tuple() const { return std::holds_alternative<std::shared_ptr<Tuple>>(data_); }
  bool is_dict() const { return std::holds_alternative<std::shared_ptr<Dict>>(data_); }

  // Each accessor throws glide::Error(invalid_format) naming the expected and actual type.
  bool as_bool() const;
  int64_t as_int() const;
  double as_float() const;  // ints are widened
  const std::string& as_string() const;
  const torch::Tensor& as_tensor() const;
  const Global& as_global() const;
  const List& as_list() const;
  const Tuple& as_tuple() const;
  const Dict& as_dict() const;

  // Dict lookup by string key; throws glide::Error(not_found) naming the key when absent.
  const Value& at(const std::string& key) const;
  const Value* find(const std::string& key) const;

  // A short type name for messages: "dict", "tensor", ...
  std::string type_name() const;

 private:
  friend struct detail::ValueAccess;
  std::variant<None, bool, int64_t, double, std::string, torch::Tensor, Global,
               std::shared_ptr<List>, std::shared_ptr<Tuple>, std::shared_ptr<Dict>>
      data_;
};

}  // namespace glide::io
