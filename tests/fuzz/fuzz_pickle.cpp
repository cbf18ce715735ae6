// Fuzzes the restricted unpickler on raw data.pkl bytes; storages come from memory instead of a
// zip, at most 1 MiB each (the real reader checks them against the archive's records).
#include <map>
#include <utility>

#include "glide/error.hpp"
#include "io/pickle.hpp"

namespace {

using glide::io::Value;
namespace io = glide::io::detail;

constexpr uint64_t kMaxStorageBytes = uint64_t{1} << 20;

// Reads what a view can reach (all of it when small, else its first and last elements), so the
// sanitizer sees any view that escapes its storage.
void touch(const torch::Tensor& t) {
  if (t.numel() == 0) return;
  if (t.numel() <= 4096) {
    (void)t.clone();
    return;
  }
  int64_t last = t.storage_offset();
  for (int64_t i = 0; i < t.dim(); ++i) last += (t.size(i) - 1) * t.stride(i);
  (void)t.as_strided({1}, {1}, t.storage_offset()).clone();
  (void)t.as_strided({1}, {1}, last).clone();
}

// Visits at most `budget` values: shared objects can make the tree exponentially large.
void walk(const Value& v, int& budget) {
  if (--budget < 0) return;
  if (v.is_tensor()) {
    touch(v.as_tensor());
  } else if (v.is_list()) {
    for (const auto& x : v.as_list()) walk(x, budget);
  } else if (v.is_tuple()) {
    for (const auto& x : v.as_tuple().items) walk(x, budget);
  } else if (v.is_dict()) {
    for (const auto& [k, x] : v.as_dict()) {
      walk(k, budget);
      walk(x, budget);
    }
  } else {
    (void)v.type_name();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::map<std::pair<std::string, int>, torch::Tensor> storages;
  const io::StorageLoader load = [&](const io::StorageRequest& r) {
    uint64_t bytes;
    if (!io::checked_bytes(r.numel, io::element_size(r.dtype), &bytes) ||
        bytes > kMaxStorageBytes) {
      throw glide::Error(glide::Status::invalid_format, "storage too large for the fuzzer");
    }
    torch::Tensor& t = storages[{r.key, static_cast<int>(r.dtype)}];
    if (!t.defined()) t = torch::zeros({r.numel}, torch::dtype(r.dtype));
    if (t.numel() != r.numel) {
      throw glide::Error(glide::Status::invalid_format, "one storage, two sizes");
    }
    return t;
  };
  try {
    const Value v = io::unpickle(data, size, load, "fuzz");
    int budget = 10000;
    walk(v, budget);
  } catch (const glide::Error&) {
    // Refusing bad input is the expected outcome; anything else (a crash, a sanitizer report,
    // another exception type) is a finding.
  }
  return 0;
}
