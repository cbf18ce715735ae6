#pragma once

#include <torch/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace glide::io {

// A value read from a pickle: what torch.save writes for dicts of tensors and plain Python data.
class Value {
 public:
  struct None {};
  using List = std::vector<Value>;
  struct Tuple {
    std::vector<Value> items;
  };
  // Insertion-ordered, as Python dicts and OrderedDicts are. Keys may be any hashable value.
  using Dict = std::vector<std::pair<Value, Value>>;

  Value() : data_(None{}) {}
  template <typename T>
  Value(T v) : data_(std::move(v)) {}

  bool is_none() const { return std::holds_alternative<None>(data_); }
  bool is_bool() const { return std::holds_alternative<bool>(data_); }
  bool is_int() const { return std::holds_alternative<int64_t>(data_); }
  bool is_float() const { return std::holds_alternative<double>(data_); }
  bool is_string() const { return std::holds_alternative<std::string>(data_); }
  bool is_tensor() const { return std::holds_alternative<torch::Tensor>(data_); }
  bool is_list() const { return std::holds_alternative<List>(data_); }
  bool is_tuple() const { return std::holds_alternative<Tuple>(data_); }
  bool is_dict() const { return std::holds_alternative<Dict>(data_); }

  // Each accessor throws glide::Error(invalid_format) naming the expected and actual type.
  bool as_bool() const;
  int64_t as_int() const;
  double as_float() const;  // ints are widened
  const std::string& as_string() const;
  const torch::Tensor& as_tensor() const;
  const List& as_list() const;
  const Tuple& as_tuple() const;
  const Dict& as_dict() const;

  // Dict lookup by string key; throws glide::Error(not_found) naming the key when absent.
  const Value& at(const std::string& key) const;
  const Value* find(const std::string& key) const;

  // A short type name for messages: "dict", "tensor", ...
  std::string type_name() const;

 private:
  std::variant<None, bool, int64_t, double, std::string, torch::Tensor, List, Tuple, Dict> data_;
};

}  // namespace glide::io
