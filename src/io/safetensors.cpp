#include "io/safetensors.hpp"

#include <algorithm>
#include <filesystem>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <vector>

#include "glide/error.hpp"
#include "io/bytes.hpp"
#include "io/loaders.hpp"
#include "io/temp_file.hpp"
#include "io/tensors.hpp"

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "glide's checkpoint readers assume a little-endian machine");

namespace glide::io {
namespace detail {
namespace {

// The safetensors reference implementation refuses headers above 100 MB.
constexpr uint64_t kMaxHeaderBytes = 100'000'000;
constexpr size_t kMaxDims = 64;

struct DtypeCode {
  const char* code;
  torch::Dtype dtype;
};
constexpr DtypeCode kDtypes[] = {
    {"F64", torch::kFloat64},   {"F32", torch::kFloat32}, {"F16", torch::kFloat16},
    {"BF16", torch::kBFloat16}, {"I64", torch::kInt64},   {"I32", torch::kInt32},
    {"I16", torch::kInt16},     {"I8", torch::kInt8},     {"U8", torch::kUInt8},
    {"BOOL", torch::kBool},
};

const char* code_of(torch::Dtype dtype) {
  for (const auto& d : kDtypes) {
    if (d.dtype == dtype) return d.code;
  }
  return nullptr;
}

std::string shape_string(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

SafetensorsEntry parse_entry(const std::string& name, const nlohmann::json& v, uint64_t data_size,
                             const std::string& what) {
  const std::string ctx = what + ": tensor '" + name + "'";
  auto fail = [&](const std::string& problem, Status status = Status::invalid_format) {
    throw Error(status, ctx + " " + problem);
  };
  if (!v.is_object()) fail("is not described by a JSON object");
  SafetensorsEntry e;
  e.name = name;

  const auto dtype = v.find("dtype");
  if (dtype == v.end() || !dtype->is_string()) fail("has no dtype string");
  const auto& code = dtype->get_ref<const std::string&>();
  const auto known = std::find_if(std::begin(kDtypes), std::end(kDtypes),
                                  [&](const DtypeCode& d) { return code == d.code; });
  if (known == std::end(kDtypes)) {
    fail("has the dtype '" + code +
             "', which glide does not read (F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL)",
         Status::unsupported);
  }
  e.dtype = known->dtype;

  const auto shape = v.find("shape");
  if (shape == v.end() || !shape->is_array()) fail("has no shape array");
  if (shape->size() > kMaxDims) fail("has more than " + std::to_string(kMaxDims) + " dimensions");
  uint64_t numel = 1;
  bool overflow = false;
  for (const auto& d : *shape) {
    if (!d.is_number_unsigned() ||
        d.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      fail("has a shape entry " + d.dump() + "; expected non-negative integers");
    }
    const auto n = d.get<uint64_t>();
    e.shape.push_back(static_cast<int64_t>(n));
    // An empty tensor's other sizes must still multiply within int64, as LibTorch's numel does.
    if (n != 0) overflow = overflow || __builtin_mul_overflow(numel, n, &numel);
  }
  if (numel > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) overflow = true;
  if (std::find(e.shape.begin(), e.shape.end(), 0) != e.shape.end()) numel = 0;
  uint64_t bytes = 0;
  if (overflow || numel > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) ||
      !checked_bytes(static_cast<int64_t>(numel), element_size(e.dtype), &bytes)) {
    fail("has the shape " + shape_string(e.shape) + ", too large to exist");
  }

  const auto offsets = v.find("data_offsets");
  if (offsets == v.end() || !offsets->is_array() || offsets->size() != 2 ||
      !(*offsets)[0].is_number_unsigned() || !(*offsets)[1].is_number_unsigned()) {
    fail("has no data_offsets [begin, end] of non-negative integers");
  }
  e.begin = (*offsets)[0].get<uint64_t>();
  e.end = (*offsets)[1].get<uint64_t>();
  if (e.begin > e.end) {
    fail("has data_offsets [" + std::to_string(e.begin) + ", " + std::to_string(e.end) +
         "] that begin after they end");
  }
  if (e.end > data_size) {
    fail("has data_offsets [" + std::to_string(e.begin) + ", " + std::to_string(e.end) +
         "] outside the " + std::to_string(data_size) + " bytes of data");
  }
  if (e.end - e.begin != bytes) {
    fail("has data_offsets [" + std::to_string(e.begin) + ", " + std::to_string(e.end) +
         "] spanning " + std::to_string(e.end - e.begin) + " bytes, but its shape " +
         shape_string(e.shape) + " of " + code + " needs " + std::to_string(bytes));
  }
  return e;
}

}  // namespace

SafetensorsLayout parse_safetensors(const uint8_t* data, size_t size, const std::string& what) {
  auto fail = [&](const std::string& problem) {
    throw Error(Status::invalid_format, what + ": " + problem);
  };
  if (size < 8) fail("shorter than the 8-byte safetensors header length");
  const uint64_t header_size = read_le(data, 8);
  if (header_size > kMaxHeaderBytes) {
    fail("declares a " + std::to_string(header_size) +
         "-byte safetensors header (at most 100 MB are allowed)");
  }
  if (header_size > size - 8) {
    fail("declares a " + std::to_string(header_size) + "-byte safetensors header, but only " +
         std::to_string(size - 8) + " bytes follow (truncated?)");
  }
  nlohmann::json header;
  try {
    // The header nests three deep ({name: {shape: [...]}}); refuse more before building it.
    // A key given twice in one object (a tensor's name, a metadata entry, a tensor's dtype)
    // would leave which one is meant to the JSON reader (the last wins): refused.
    std::vector<std::set<std::string>> keys;  // those of each object being read, outermost first
    std::string entry;                        // the top-level key being read
    const nlohmann::json::parser_callback_t limit_depth =
        [&](int depth, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
          using Event = nlohmann::json::parse_event_t;
          if (depth > 3) fail("the safetensors header nests deeper than a header can");
          if (event == Event::object_start) keys.emplace_back();
          if (event == Event::object_end) keys.pop_back();
          if (event == Event::key && !keys.empty()) {
            const std::string key = parsed.get<std::string>();
            if (keys.size() == 1) entry = key;
            if (!keys.back().insert(key).second) {
              fail(keys.size() == 1
                       ? "the safetensors header names '" + key + "' twice"
                       : "the safetensors header's '" + entry + "' names '" + key + "' twice");
            }
          }
          return true;
        };
    header = nlohmann::json::parse(data + 8, data + 8 + header_size, limit_depth);
  } catch (const nlohmann::json::parse_error& e) {
    // Not e.what(): it quotes the damaged bytes, which may be anything.
    fail("the safetensors header is not valid JSON (at byte " + std::to_string(8 + e.byte - 1) +
         " of the file)");
  } catch (const nlohmann::json::exception&) {  // a number beyond any double's range
    fail("the safetensors header is not valid JSON (it holds a number out of range)");
  }
  if (!header.is_object()) fail("the safetensors header is not a JSON object");

  SafetensorsLayout layout;
  layout.data_start = 8 + header_size;
  const uint64_t data_size = size - layout.data_start;
  for (const auto& [name, v] : header.items()) {
    if (name == "__metadata__") {
      if (!v.is_object()) fail("__metadata__ is not a JSON object");
      for (const auto& [key, value] : v.items()) {
        if (!value.is_string()) fail("__metadata__ '" + key + "' is not a string");
        layout.metadata[key] = value.get<std::string>();
      }
      continue;
    }
    layout.entries.push_back(parse_entry(name, v, data_size, what));
  }
  std::sort(layout.entries.begin(), layout.entries.end(),
            [](const SafetensorsEntry& a, const SafetensorsEntry& b) {
              return std::tie(a.begin, a.end, a.name) < std::tie(b.begin, b.end, b.name);
            });
  for (size_t i = 1; i < layout.entries.size(); ++i) {
    const auto& prev = layout.entries[i - 1];
    const auto& cur = layout.entries[i];
    if (cur.begin < prev.end) {
      fail("the data of tensors '" + prev.name + "' and '" + cur.name + "' overlap");
    }
  }
  return layout;
}

StateDict safetensors_state_dict(const SafetensorsLayout& layout, const uint8_t* data,
                                 const std::shared_ptr<const void>& owner,
                                 const std::string& what) {
  StateDict out;
  for (const auto& e : layout.entries) {
    const int64_t numel = static_cast<int64_t>((e.end - e.begin) / element_size(e.dtype));
    try {
      out.insert(
          e.name,
          tensor_over(data + layout.data_start + e.begin, numel, e.dtype, owner).view(e.shape));
    } catch (const Error& err) {
      throw Error(err.status(), what + ": tensor '" + e.name + "': " + err.what());
    }
  }
  return out;
}

bool looks_like_safetensors(const uint8_t* data, size_t size) {
  return size >= 9 && data[8] == '{';
}

StateDict read_safetensors(const std::shared_ptr<FileBytes>& file,
                           std::map<std::string, std::string>* metadata) {
  const SafetensorsLayout layout = parse_safetensors(file->data(), file->size(), file->path());
  if (metadata) *metadata = layout.metadata;
  return safetensors_state_dict(layout, file->data(), file, file->path());
}

}  // namespace detail

StateDict load_safetensors(const std::string& path, std::map<std::string, std::string>* metadata) {
  return detail::read_safetensors(detail::FileBytes::open(path), metadata);
}

void save_safetensors(const StateDict& tensors, const std::string& path,
                      const std::map<std::string, std::string>& metadata, bool overwrite) {
  detail::check_destination(path, overwrite);  // refused before any work
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  uint64_t offset = 0;
  for (const auto& [name, t] : tensors.items()) {
    if (name == "__metadata__") {
      throw Error(Status::invalid_argument,
                  "cannot write '" + path + "': '__metadata__' is reserved, not a tensor name");
    }
    const char* code = detail::code_of(t.scalar_type());
    if (!code) {
      throw Error(Status::unsupported, "cannot write '" + path + "': tensor '" + name +
                                           "' has the dtype " + dtype_name(t.scalar_type()) +
                                           ", which safetensors files from glide cannot hold");
    }
    uint64_t bytes, end;
    if (!detail::checked_bytes(t.numel(), t.element_size(), &bytes) ||
        __builtin_add_overflow(offset, bytes, &end)) {
      throw Error(Status::invalid_argument,
                  "cannot write '" + path + "': tensor '" + name + "' is too large");
    }
    header[name] = {{"dtype", code}, {"shape", t.sizes().vec()}, {"data_offsets", {offset, end}}};
    offset = end;
  }
  std::string text;
  try {
    text = header.dump();
  } catch (const nlohmann::json::exception& e) {
    throw Error(Status::invalid_argument,
                "cannot write '" + path + "': a name or metadata entry is not UTF-8: " + e.what());
  }
  text.append((8 - text.size() % 8) % 8, ' ');  // data aligned to 8 bytes, as safetensors does

  detail::TempFile out(path, overwrite);
  uint8_t length[8];
  for (int i = 0; i < 8; ++i) length[i] = static_cast<uint8_t>(uint64_t{text.size()} >> (8 * i));
  out.write(length, sizeof length);
  out.write(text.data(), text.size());
  for (const auto& [name, t] : tensors.items()) {
    // One tensor at a time, so a model on the GPU never needs a second copy in host memory.
    torch::Tensor c;
    try {
      c = t.detach().to(torch::kCPU).contiguous();
    } catch (const c10::Error& e) {
      throw Error(Status::invalid_argument, "cannot write '" + path + "': tensor '" + name +
                                                "': " + e.what_without_backtrace());
    }
    out.write(c.data_ptr(), static_cast<size_t>(c.numel()) * c.element_size());
  }
  out.commit();
}

}  // namespace glide::io
