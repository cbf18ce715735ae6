// Writing what torch.save(state_dict) writes (the reader is torch_file.cpp): the zip container
// comes from ZipWriter, data.pkl from pickle_state_dict.
#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "glide/error.hpp"
#include "glide/io/checkpoint.hpp"
#include "io/pickle.hpp"
#include "io/pickle_writer.hpp"
#include "io/temp_file.hpp"
#include "io/zip_writer.hpp"

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "glide writes checkpoints as little-endian, the machine's own order");

namespace glide::io {
namespace {

// The folder torch.save puts the records in: the file's name without its extension.
std::string archive_name(const std::string& path) {
  const std::string stem = std::filesystem::path(path).stem().string();
  return stem.empty() ? "archive" : stem;  // what torch.save uses for unnamed streams
}

// The strides of a contiguous tensor of these sizes, as torch computes them.
std::vector<int64_t> contiguous_strides(const std::vector<int64_t>& sizes) {
  std::vector<int64_t> strides(sizes.size());
  int64_t stride = 1;
  for (size_t i = sizes.size(); i-- > 0;) {
    strides[i] = stride;
    stride *= std::max<int64_t>(sizes[i], 1);
  }
  return strides;
}

}  // namespace

void save_torch_state_dict(const StateDict& tensors, const std::string& path, bool overwrite,
                           TorchDictKind kind) {
  const auto fail = [&](Status status, const std::string& problem) {
    throw Error(status, "cannot write '" + path + "': " + problem);
  };
  detail::check_destination(path, overwrite);  // refused before any work
  // Everything is checked before the file is created.
  std::vector<detail::PickledTensor> plan;
  plan.reserve(tensors.size());
  for (const auto& [name, t] : tensors.items()) {
    if (!detail::storage_class_name(t.scalar_type())) {
      fail(Status::unsupported, "tensor '" + name + "' has the dtype " +
                                    dtype_name(t.scalar_type()) +
                                    ", which .pt files from glide cannot hold");
    }
    if (!detail::valid_utf8(reinterpret_cast<const uint8_t*>(name.data()), name.size())) {
      fail(Status::invalid_argument, "the tensor name '" + name + "' is not UTF-8");
    }
    detail::PickledTensor p;
    p.name = name;
    p.dtype = t.scalar_type();
    p.storage_key = std::to_string(plan.size());
    p.storage_numel = t.numel();
    p.sizes = t.sizes().vec();
    p.strides = contiguous_strides(p.sizes);
    plan.push_back(std::move(p));
  }
  const std::vector<uint8_t> pickle = detail::pickle_state_dict(plan, kind);

  detail::TempFile out(path, overwrite);
  detail::ZipWriter zip([&](const void* data, size_t size) { out.write(data, size); });
  const std::string prefix = archive_name(path) + "/";
  zip.add(prefix + "data.pkl", pickle.data(), pickle.size());
  static const std::string kByteOrder = "little";
  zip.add(prefix + "byteorder", kByteOrder.data(), kByteOrder.size());
  size_t i = 0;
  for (const auto& [name, t] : tensors.items()) {
    // One tensor at a time, so a model on the GPU never needs a second copy in host memory.
    torch::Tensor c;
    try {
      c = t.detach().to(torch::kCPU).contiguous();
    } catch (const c10::Error& e) {
      fail(Status::invalid_argument, "tensor '" + name + "': " + e.what_without_backtrace());
    }
    zip.add(prefix + "data/" + plan[i++].storage_key, c.data_ptr(),
            static_cast<uint64_t>(c.numel()) * c.element_size());
  }
  // The archive format version torch.save still writes (PyTorch's kMinProducedFileFormatVersion).
  static const std::string kVersion = "3\n";
  zip.add(prefix + "version", kVersion.data(), kVersion.size());
  zip.finish();
  out.commit();
}

}  // namespace glide::io
