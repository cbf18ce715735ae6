#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace glide::io::detail {

// A whole file mapped private and copy-on-write: tensors can be views of it (writing to one copies
// the page, never touches the file), and it stays mapped while any shared_ptr to it lives.
class MappedFile {
 public:
  // Throws glide::Error: not_found (missing), invalid_argument (a directory or not a regular
  // file), invalid_format (empty), io_error (the system refused to open or map it).
  static std::shared_ptr<MappedFile> open(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const uint8_t* data() const { return data_; }
  uint8_t* mutable_data() const { return data_; }  // copy-on-write: never changes the file
  size_t size() const { return size_; }
  const std::string& path() const { return path_; }

 private:
  MappedFile(std::string path, uint8_t* data, size_t size)
      : path_(std::move(path)), data_(data), size_(size) {}
  std::string path_;
  uint8_t* data_;
  size_t size_;
};

}  // namespace glide::io::detail
