#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace glide::io::detail {

// A whole file read into memory this process owns. Tensors can be views of it, and nothing done
// to the file afterwards reaches them: a mapping of the file would turn another program's
// truncating it (a copy over it, an editor's save) into SIGBUS on the next touch of a weight.
class FileBytes {
 public:
  // Throws glide::Error: not_found (missing), invalid_argument (a directory or not a regular
  // file), invalid_format (empty), out_of_memory, io_error (the system refused to open or read
  // it, or it shrank while being read).
  static std::shared_ptr<FileBytes> open(const std::string& path);
  ~FileBytes();
  FileBytes(const FileBytes&) = delete;
  FileBytes& operator=(const FileBytes&) = delete;

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  const std::string& path() const { return path_; }

 private:
  FileBytes(std::string path, size_t size) : path_(std::move(path)), size_(size) {}
  std::string path_;
  uint8_t* data_ = nullptr;  // set by open() once the pages are mapped
  size_t size_;
};

}  // namespace glide::io::detail
