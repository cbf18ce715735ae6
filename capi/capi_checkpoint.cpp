// The C ABI's checkpoint inspection: a handle over glide::Checkpoint.
#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "capi_internal.hpp"
#include "glide.h"
#include "glide/io/checkpoint.hpp"

struct glide_checkpoint {
  glide::Checkpoint checkpoint;
  std::vector<std::pair<std::string, std::string>> metadata;  // sorted by key
};

namespace {

using glide::capi::fail;
using glide::capi::guarded;
using glide::capi::require_arg;

constexpr size_t kCheckpointInfoSizes[] = {0, sizeof(glide_checkpoint_info)};
constexpr size_t kTensorInfoSizes[] = {0, sizeof(glide_tensor_info)};

void require_index(size_t index, size_t count, const char* what) {
  if (index >= count) {
    fail(GLIDE_ERROR_INVALID_ARGUMENT, "index " + std::to_string(index) + " is out of range: the " +
                                           "checkpoint has " + std::to_string(count) + " " + what);
  }
}

// C reads names and metadata as NUL-terminated strings: one holding a NUL byte would come out cut
// short, and two different names could read the same. `what` names the string ("tensor name",
// "metadata key 'k': its value"), quoted up to the NUL (40 bytes at most).
void require_no_nul(const std::string& text, const std::string& path, const std::string& what) {
  const size_t at = text.find('\0');
  if (at == std::string::npos) return;
  const std::string before = at <= 40 ? text.substr(0, at) : text.substr(0, 40) + "...";
  fail(GLIDE_ERROR_INVALID_FORMAT, "'" + path + "': " + what + " '" + before +
                                       "\\0...' holds a NUL byte, which a C string cannot");
}

}  // namespace

extern "C" {

int glide_checkpoint_open(const char* path, glide_checkpoint** checkpoint) {
  if (checkpoint) *checkpoint = nullptr;
  return guarded(__func__, [&] {
    require_arg(path, "path");
    require_arg(checkpoint, "checkpoint");
    auto handle =
        std::make_unique<glide_checkpoint>(glide_checkpoint{glide::load_checkpoint(path), {}});
    for (const auto& [name, tensor] : handle->checkpoint.tensors.items()) {
      require_no_nul(name, path, "tensor name");
    }
    for (const auto& [key, value] : handle->checkpoint.metadata) {
      require_no_nul(key, path, "metadata key");
      require_no_nul(value, path, "metadata key '" + key + "': its value");
    }
    handle->metadata.assign(handle->checkpoint.metadata.begin(), handle->checkpoint.metadata.end());
    *checkpoint = handle.release();
  });
}

void glide_checkpoint_free(glide_checkpoint* checkpoint) {
  delete checkpoint;
}

int glide_checkpoint_get_info(const glide_checkpoint* checkpoint, glide_checkpoint_info* info) {
  return guarded(__func__, [&] {
    require_arg(checkpoint, "checkpoint");
    require_arg(info, "info");
    const auto& c = checkpoint->checkpoint;
    glide_checkpoint_info full{};
    full.format = c.format == glide::CheckpointFormat::torch_zip ? GLIDE_CHECKPOINT_TORCH_ZIP
                                                                 : GLIDE_CHECKPOINT_SAFETENSORS;
    full.format_name = glide::format_name(c.format);
    full.tensor_count = c.tensors.size();
    full.parameter_count = c.tensors.parameter_count();
    full.metadata_count = checkpoint->metadata.size();
    glide::capi::write_versioned(full, kCheckpointInfoSizes, "info", info);
  });
}

int glide_checkpoint_tensor(const glide_checkpoint* checkpoint, size_t index,
                            glide_tensor_info* info) {
  return guarded(__func__, [&] {
    require_arg(checkpoint, "checkpoint");
    require_arg(info, "info");
    const auto& items = checkpoint->checkpoint.tensors.items();
    require_index(index, items.size(), "tensors");
    const auto& [name, tensor] = items[index];
    glide_tensor_info full{};
    full.name = name.c_str();
    full.dtype = glide::io::dtype_name(tensor.scalar_type());
    full.ndim = static_cast<size_t>(tensor.dim());
    full.shape = tensor.sizes().data();
    full.numel = tensor.numel();
    glide::capi::write_versioned(full, kTensorInfoSizes, "info", info);
  });
}

int glide_checkpoint_metadata(const glide_checkpoint* checkpoint, size_t index, const char** key,
                              const char** value) {
  return guarded(__func__, [&] {
    require_arg(checkpoint, "checkpoint");
    require_arg(key, "key");
    require_arg(value, "value");
    require_index(index, checkpoint->metadata.size(), "metadata entries");
    *key = checkpoint->metadata[index].first.c_str();
    *value = checkpoint->metadata[index].second.c_str();
  });
}

}  // extern "C"
