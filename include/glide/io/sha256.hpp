#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

namespace glide::io {

// SHA-256 (FIPS 180-4), for recording which model file made an image.
class Sha256 {
 public:
  Sha256();
  void update(const void* data, size_t size);
  // The digest of everything given so far; the object must not be updated afterwards.
  std::array<uint8_t, 32> finish();

 private:
  void compress(const uint8_t* block);

  std::array<uint32_t, 8> state_;
  std::array<uint8_t, 64> buffer_{};
  size_t buffered_ = 0;
  uint64_t total_bytes_ = 0;
  bool finished_ = false;
};

// Lowercase hex digests, as `sha256sum` prints them.
std::string sha256_hex(const std::string& bytes);
// Throws glide::Error naming the file: not_found when it cannot be opened, io_error on a failed
// read.
std::string sha256_file_hex(const std::string& path);

}  // namespace glide::io
