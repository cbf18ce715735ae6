#include "glide/io/value.hpp"

#include "glide/error.hpp"

namespace glide::io {

namespace {

[[noreturn]] void wrong_type(const char* expected, const Value& v) {
  throw Error(Status::invalid_format,
              std::string("expected a pickled ") + expected + ", got " + v.type_name());
}

template <typename T, typename Variant>
const T& get_or_throw(const Variant& data, const char* expected, const Value& self) {
  if (const T* p = std::get_if<T>(&data)) return *p;
  wrong_type(expected, self);
}

}  // namespace

bool Value::as_bool() const {
  return get_or_throw<bool>(data_, "bool", *this);
}
int64_t Value::as_int() const {
  return get_or_throw<int64_t>(data_, "int", *this);
}

double Value::as_float() const {
  if (const int64_t* i = std::get_if<int64_t>(&data_)) return static_cast<double>(*i);
  return get_or_throw<double>(data_, "float", *this);
}

const std::string& Value::as_string() const {
  return get_or_throw<std::string>(data_, "string", *this);
}
const torch::Tensor& Value::as_tensor() const {
  return get_or_throw<torch::Tensor>(data_, "tensor", *this);
}
const Value::Global& Value::as_global() const {
  return get_or_throw<Global>(data_, "global", *this);
}
const Value::List& Value::as_list() const {
  return *get_or_throw<std::shared_ptr<List>>(data_, "list", *this);
}
const Value::Tuple& Value::as_tuple() const {
  return *get_or_throw<std::shared_ptr<Tuple>>(data_, "tuple", *this);
}
const Value::Dict& Value::as_dict() const {
  return *get_or_throw<std::shared_ptr<Dict>>(data_, "dict", *this);
}

const Value* Value::find(const std::string& key) const {
  for (const auto& [k, v] : as_dict()) {
    if (k.is_string() && k.as_string() == key) return &v;
  }
  return nullptr;
}

const Value& Value::at(const std::string& key) const {
  if (const Value* v = find(key)) return *v;
  throw Error(Status::not_found, "key '" + key + "' not found in the pickled dict");
}

std::string Value::type_name() const {
  struct Namer {
    std::string operator()(const None&) const { return "None"; }
    std::string operator()(bool) const { return "bool"; }
    std::string operator()(int64_t) const { return "int"; }
    std::string operator()(double) const { return "float"; }
    std::string operator()(const std::string&) const { return "string"; }
    std::string operator()(const torch::Tensor&) const { return "tensor"; }
    std::string operator()(const Global& g) const { return "global " + g.module + "." + g.name; }
    std::string operator()(const std::shared_ptr<List>&) const { return "list"; }
    std::string operator()(const std::shared_ptr<Tuple>&) const { return "tuple"; }
    std::string operator()(const std::shared_ptr<Dict>&) const { return "dict"; }
  };
  return std::visit(Namer{}, data_);
}

}  // namespace glide::io
