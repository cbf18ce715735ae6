#pragma once

// Helpers for the io tests: a pickle writer for hand-made torch.save files, temporary folders,
// and file bytes.
#include <caffe2/serialize/inline_container.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "support/temp_dir.hpp"

namespace glide::test {

using Bytes = std::vector<uint8_t>;

inline Bytes read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), {});
}

inline void write_bytes(const std::string& path, const Bytes& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}

// Writes pickle opcodes (protocol 2, as torch.save does), for hand-made inputs.
class Pickle {
 public:
  Pickle() { op(0x80).byte(2); }
  Pickle& op(uint8_t c) { return byte(c); }
  Pickle& byte(uint8_t b) {
    bytes_.push_back(b);
    return *this;
  }
  Pickle& raw(const std::string& s) {
    bytes_.insert(bytes_.end(), s.begin(), s.end());
    return *this;
  }
  Pickle& le(uint64_t v, int n) {
    for (int i = 0; i < n; ++i) byte(static_cast<uint8_t>(v >> (8 * i)));
    return *this;
  }
  Pickle& mark() { return op('('); }
  Pickle& str(const std::string& s) { return op('X').le(s.size(), 4).raw(s); }
  Pickle& integer(int64_t v) {
    if (v >= INT32_MIN && v <= INT32_MAX) return op('J').le(static_cast<uint64_t>(v), 4);
    return op(0x8a).byte(8).le(static_cast<uint64_t>(v), 8);
  }
  Pickle& global(const std::string& module, const std::string& name) {
    return op('c').raw(module + "\n" + name + "\n");
  }
  Pickle& ints(const std::vector<int64_t>& v) {
    mark();
    for (int64_t x : v) integer(x);
    return op('t');
  }
  // _rebuild_tensor_v2(('storage', torch.<cls>, key, 'cpu', numel), offset, sizes, strides,
  // False, OrderedDict())
  Pickle& tensor(const std::string& cls, const std::string& key, int64_t numel, int64_t offset,
                 const std::vector<int64_t>& sizes, const std::vector<int64_t>& strides) {
    global("torch._utils", "_rebuild_tensor_v2").mark();
    mark().str("storage").global("torch", cls).str(key).str("cpu").integer(numel).op('t');
    op('Q').integer(offset).ints(sizes).ints(strides).op(0x89);
    global("collections", "OrderedDict").op(')').op('R');
    return op('t').op('R');
  }
  Bytes bytes() const { return bytes_; }
  Bytes stopped() const {
    Bytes b = bytes_;
    b.push_back('.');
    return b;
  }

 private:
  Bytes bytes_;
};

// A torch.save-style zip: <stem>/data.pkl, <stem>/data/<key> records, <stem>/version.
inline void write_torch_zip(const std::string& path, const Bytes& pickle,
                            const std::vector<std::pair<std::string, Bytes>>& storages) {
  caffe2::serialize::PyTorchStreamWriter writer(path);
  writer.writeRecord("data.pkl", pickle.data(), pickle.size());
  for (const auto& [key, data] : storages) {
    writer.writeRecord("data/" + key, data.data(), data.size());
  }
  writer.writeEndOfFile();
}

template <typename T>
Bytes bytes_of(const std::vector<T>& values) {
  Bytes b(values.size() * sizeof(T));
  std::memcpy(b.data(), values.data(), b.size());
  return b;
}

}  // namespace glide::test
