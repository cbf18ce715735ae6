#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace glide::detail {

// GPT-2's byte-level BPE vocabulary. encoder.json and vocab.bpe spell tokens in GPT-2's byte
// alphabet (each byte shown as one printable code point); here every token and merge is held as
// the raw bytes it stands for, so encoding and decoding never touch that alphabet again.
class Vocabulary {
 public:
  // `encoder_name` and `merges_name` name the sources in error messages.
  static Vocabulary parse(std::string_view encoder_json, std::string_view merges_text,
                          const std::string& encoder_name, const std::string& merges_name);

  int64_t size() const { return n_tokens_; }
  const std::string& token_bytes(int64_t id) const { return symbol_bytes_[id]; }

  // Appends the ids of one pre-tokenized piece (raw UTF-8 bytes) after applying the merges by
  // rank, lowest first, each round merging every occurrence left to right.
  void encode_piece(std::string_view piece, std::vector<int64_t>& out) const;

 private:
  static constexpr uint64_t kEmpty = ~uint64_t{0};
  struct Merge {
    uint64_t pair = kEmpty;  // (left << 32) | right symbol ids
    int32_t rank = 0;
    int32_t merged = 0;  // symbol id of the concatenation
  };
  static uint64_t pair_key(int32_t left, int32_t right) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) |
           static_cast<uint32_t>(right);
  }
  size_t slot_of(uint64_t pair) const;
  void add_merge(int32_t left, int32_t right, int32_t rank, int32_t merged);
  const Merge* find_merge(int32_t left, int32_t right) const;
  int64_t token_of(int32_t symbol) const;

  int64_t n_tokens_ = 0;
  std::vector<std::string> symbol_bytes_;   // symbol id -> raw bytes; token ids come first
  std::array<int32_t, 256> byte_symbol_{};  // symbol of each single byte
  // Open addressing, linear probing, at most half full: the lookup in the BPE inner loop.
  std::vector<Merge> merges_;
  uint64_t merge_mask_ = 0;
};

}  // namespace glide::detail
