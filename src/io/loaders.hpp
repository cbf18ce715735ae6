#pragma once

#include <map>
#include <memory>
#include <string>

#include "glide/io/checkpoint.hpp"
#include "io/file_bytes.hpp"

// The readers behind the public io functions, working on a file already read into memory.
namespace glide::io::detail {

// torch.save's zip: the pickle's value, its tensors views of `file` where the records are stored
// uncompressed (always, for torch.save) and aligned.
Value read_torch_zip(const std::shared_ptr<FileBytes>& file);

// The tensors of a pickled dict; `what` names the file in messages.
StateDict state_dict_from(const Value& root, const std::string& what);

StateDict read_safetensors(const std::shared_ptr<FileBytes>& file,
                           std::map<std::string, std::string>* metadata);

// Whether the first bytes are a safetensors header length followed by '{'.
bool looks_like_safetensors(const uint8_t* data, size_t size);

}  // namespace glide::io::detail
