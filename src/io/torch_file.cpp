// Reading what torch.save writes: a zip (read with LibTorch's PyTorchStreamReader, checked first
// by ZipIndex) holding `<name>/data.pkl`, one `<name>/data/<key>` record per storage, and
// `<name>/version`, optionally `<name>/byteorder`.
#include <c10/util/Exception.h>
#include <caffe2/serialize/inline_container.h>
#include <caffe2/serialize/read_adapter_interface.h>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <map>
#include <string>

#include "glide/error.hpp"
#include "glide/io/checkpoint.hpp"
#include "io/loaders.hpp"
#include "io/pickle.hpp"
#include "io/zip_index.hpp"

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "glide's checkpoint readers assume a little-endian machine");

namespace glide::io {
namespace detail {
namespace {

using caffe2::serialize::PyTorchStreamReader;

// Lets PyTorchStreamReader read the bytes we already hold, so both see the same bytes.
class BytesAdapter final : public caffe2::serialize::ReadAdapterInterface {
 public:
  explicit BytesAdapter(std::shared_ptr<FileBytes> file) : file_(std::move(file)) {}
  size_t size() const override { return file_->size(); }
  size_t read(uint64_t pos, void* buf, size_t n, const char* /*what*/) const override {
    if (pos >= file_->size()) return 0;
    n = static_cast<size_t>(std::min<uint64_t>(n, file_->size() - pos));
    std::memcpy(buf, file_->data() + pos, n);
    return n;
  }

 private:
  std::shared_ptr<FileBytes> file_;
};

// The first line of a c10::Error, without LibTorch's backtrace.
std::string brief(const c10::Error& e) {
  std::string s = e.what_without_backtrace();
  return s.substr(0, s.find('\n'));
}

struct Bytes {
  const uint8_t* data = nullptr;
  size_t size = 0;
  std::shared_ptr<const void> owner;
};

class Archive {
 public:
  explicit Archive(std::shared_ptr<FileBytes> file)
      : file_(std::move(file)), zip_(open_zip(*file_)) {
    const std::string& first = zip_.entries().front().name;
    const size_t slash = first.find('/');
    if (slash == std::string::npos || slash == 0) {
      fail("its records are not inside one folder, as torch.save writes them");
    }
    prefix_ = first.substr(0, slash + 1);
    // What LibTorch's reader requires, said in the file's terms instead of its enforce messages.
    const ZipEntry* version = find("version") ? find("version") : find(".data/version");
    if (!version) {
      fail("it has no '" + prefix_ +
           "version' record, which torch.save always writes (damaged, "
           "or not a torch.save archive)");
    }
    check_format_version(*version);
    try {
      reader_ = std::make_unique<PyTorchStreamReader>(std::make_shared<BytesAdapter>(file_));
    } catch (const c10::Error& e) {
      fail("not a torch.save archive: " + brief(e));
    } catch (const std::exception& e) {  // LibTorch's std::stoull on a record it did not check
      fail(std::string("not a torch.save archive: ") + e.what());
    }
  }

  [[noreturn]] void fail(const std::string& problem, Status status = Status::invalid_format) const {
    throw Error(status, path() + ": " + problem);
  }
  const std::string& path() const { return file_->path(); }
  const std::shared_ptr<FileBytes>& file() const { return file_; }
  const std::string& prefix() const { return prefix_; }
  // A record by its name inside the archive's folder, or nullptr.
  const ZipEntry* find(const std::string& name) const { return zip_.find(prefix_ + name); }

  // A record's bytes, inflated by the reader, their CRC-32 checked (LibTorch's reader does not).
  Bytes read(const std::string& name) {
    const ZipEntry* entry = find(name);
    if (!entry) fail("no record '" + prefix_ + name + "'");
    Bytes bytes;
    try {
      auto [ptr, size] = reader_->getRecord(name);
      auto holder = std::make_shared<at::DataPtr>(std::move(ptr));
      bytes = {static_cast<const uint8_t*>(holder->get()), size, holder};
    } catch (const c10::Error& e) {
      fail("cannot read record '" + name + "': " + brief(e));
    }
    if (bytes.size != entry->size || crc32(bytes.data, bytes.size) != entry->crc32) {
      fail("record '" + prefix_ + name + "' is damaged (its CRC-32 does not match)");
    }
    return bytes;
  }

  // A record's bytes: a view of the file's bytes when stored uncompressed (not checksummed:
  // torch.load does not either), else read().
  Bytes view(const std::string& name, const ZipEntry& entry) {
    if (!entry.stored()) return read(name);
    size_t offset;
    try {
      offset = reader_->getRecordOffset(name);
    } catch (const c10::Error& e) {
      fail("cannot locate record '" + name + "': " + brief(e));
    }
    if (offset != entry.data_offset) fail("its zip directories disagree about '" + name + "'");
    return {file_->data() + entry.data_offset, static_cast<size_t>(entry.size), file_};
  }

 private:
  // The archive format's version, a decimal number with a newline ("3\n"): LibTorch's reader
  // would throw std::stoull's bare "stoull" for a huge or non-numeric one.
  void check_format_version(const ZipEntry& entry) const {
    namespace serialize = caffe2::serialize;
    if (!entry.stored()) return;  // torch.save stores records; the reader inflates any other
    std::string text(reinterpret_cast<const char*>(file_->data() + entry.data_offset),
                     static_cast<size_t>(std::min<uint64_t>(entry.size, 32)));
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
    const bool digits = !text.empty() && text.size() <= 9 &&
                        text.find_first_not_of("0123456789") == std::string::npos;
    if (!digits || entry.size > 32) {
      fail("its '" + entry.name +
           "' record is not a format version (a small decimal number, as "
           "torch.save writes); the archive is damaged");
    }
    const uint64_t version = std::stoull(text);
    if (version < serialize::kMinSupportedFileFormatVersion ||
        version > serialize::kMaxSupportedFileFormatVersion) {
      fail(fmt::format("it is in archive format version {}; this glide's LibTorch reads versions "
                       "{} to {} (save it with an older torch, or build glide against a newer "
                       "LibTorch)",
                       version, serialize::kMinSupportedFileFormatVersion,
                       serialize::kMaxSupportedFileFormatVersion),
           Status::unsupported);
    }
  }

  static ZipIndex open_zip(const FileBytes& file) {
    const uint8_t* d = file.data();
    const size_t n = file.size();
    // The format before PyTorch 1.6: a pickled magic number (a LONG1), then several pickles.
    if (n >= 3 && d[0] == 0x80 && d[2] == 0x8a) {
      throw Error(Status::unsupported,
                  file.path() +
                      ": written by torch.save before PyTorch 1.6 (legacy format); load it in "
                      "Python and save it again with a current torch.save");
    }
    if (n < 4 || d[0] != 'P' || d[1] != 'K') {
      throw Error(Status::invalid_format,
                  file.path() + ": not a zip archive, which torch.save writes (expected 'PK')");
    }
    ZipIndex zip = ZipIndex::parse(d, n, file.path());
    if (zip.entries().empty()) {
      throw Error(Status::invalid_format, file.path() + ": an empty zip archive");
    }
    return zip;
  }

  std::shared_ptr<FileBytes> file_;
  ZipIndex zip_;
  std::string prefix_;
  std::unique_ptr<PyTorchStreamReader> reader_;
};

void check_byteorder(Archive& archive) {
  const ZipEntry* e = archive.find("byteorder");
  if (!e) return;  // written before PyTorch 1.12: little-endian
  if (e->size > 16) archive.fail("its byteorder record is " + std::to_string(e->size) + " bytes");
  const Bytes b = archive.read("byteorder");
  std::string order(reinterpret_cast<const char*>(b.data), b.size);
  order.erase(std::remove_if(order.begin(), order.end(),
                             [](unsigned char c) { return std::isspace(c) != 0; }),
              order.end());
  if (order == "little") return;
  if (order == "big") {
    archive.fail(
        "written on a big-endian machine (byteorder 'big'); glide reads little-endian "
        "checkpoints only",
        Status::unsupported);
  }
  archive.fail("its byteorder record says '" + order + "' (expected 'little')");
}

}  // namespace

Value read_torch_zip(const std::shared_ptr<FileBytes>& file) {
  Archive archive(file);
  check_byteorder(archive);
  if (!archive.find("data.pkl")) {
    if (archive.find("constants.pkl")) {
      archive.fail("a TorchScript archive (torch.jit.save); glide reads torch.save files",
                   Status::unsupported);
    }
    archive.fail("no record '" + archive.prefix() + "data.pkl'");
  }
  const Bytes pickle = archive.read("data.pkl");

  std::map<std::pair<std::string, int>, torch::Tensor> storages;
  const StorageLoader load = [&](const StorageRequest& r) -> torch::Tensor {
    const auto cache_key = std::make_pair(r.key, static_cast<int>(r.dtype));
    if (auto it = storages.find(cache_key); it != storages.end()) {
      if (it->second.numel() != r.numel) {
        archive.fail("the pickle gives storage '" + r.key + "' two sizes");
      }
      return it->second;
    }
    const std::string name = "data/" + r.key;
    const ZipEntry* entry = archive.find(name);
    if (!entry)
      archive.fail("the pickle names storage '" + r.key + "' but there is no record '" +
                   archive.prefix() + name + "'");
    const std::string declared = std::to_string(r.numel) + " elements of " + dtype_name(r.dtype);
    uint64_t needed;
    if (!checked_bytes(r.numel, element_size(r.dtype), &needed)) {
      archive.fail("storage '" + name + "' declares " + declared + ", more than memory can hold");
    }
    if (needed > entry->size) {
      archive.fail("storage '" + name + "' holds " + std::to_string(entry->size) +
                   " bytes, but the pickle declares " + declared + " (" + std::to_string(needed) +
                   " bytes)");
    }
    const Bytes bytes = archive.view(name, *entry);
    torch::Tensor t;
    try {
      t = tensor_over(bytes.data, r.numel, r.dtype, bytes.owner);
    } catch (const Error& e) {
      archive.fail("storage '" + name + "': " + e.what());
    }
    storages.emplace(cache_key, t);
    return t;
  };
  return unpickle(pickle.data, pickle.size, load, archive.path() + ": data.pkl");
}

namespace {

// A training checkpoint ({"state_dict": {...}, "epoch": 3}, as Lightning and many trainers save)
// holds its tensors one level down. Read as a flat state dict it would give none, and a
// conversion an empty file: name where they are instead.
void refuse_nested_tensors(const Value& root, const std::string& what) {
  for (const auto& [key, value] : root.as_dict()) {
    if (!value.is_dict() || !key.is_string()) continue;
    size_t tensors = 0;
    for (const auto& entry : value.as_dict()) tensors += entry.second.is_tensor() ? 1 : 0;
    if (tensors == 0) continue;
    const std::string name = key.as_string();
    throw Error(Status::invalid_format,
                fmt::format("{}: holds no tensors at its top level, but {} under '{}': glide reads "
                            "a flat dict of tensors (what torch.save(model.state_dict(), ...) "
                            "writes); save that dict alone, e.g. in Python "
                            "torch.save(torch.load(PATH)['{}'], 'model.pt')",
                            what, tensors, name, name));
  }
}

}  // namespace

StateDict state_dict_from(const Value& root, const std::string& what) {
  if (!root.is_dict()) {
    throw Error(Status::invalid_format,
                what + ": holds a " + root.type_name() + "; expected a dict of tensors");
  }
  StateDict out;
  for (const auto& [key, value] : root.as_dict()) {
    if (!value.is_tensor()) continue;
    if (!key.is_string()) {
      throw Error(Status::invalid_format,
                  what + ": a tensor under a key of type " + key.type_name() + "; expected names");
    }
    out.insert(key.as_string(), value.as_tensor());
  }
  if (out.size() == 0) refuse_nested_tensors(root, what);
  return out;
}

}  // namespace detail

Value load_torch_file(const std::string& path) {
  return detail::read_torch_zip(detail::FileBytes::open(path));
}

StateDict load_torch_state_dict(const std::string& path) {
  return detail::state_dict_from(load_torch_file(path), path);
}

}  // namespace glide::io
