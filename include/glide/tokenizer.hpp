#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace glide {

// GPT-2 byte-level BPE exactly as GLIDE uses it: the text is lower-cased (full Unicode mapping,
// root locale), split by GPT-2's pre-tokenizer pattern (\s meaning the Unicode White_Space
// property), and each piece's UTF-8 bytes are merged by rank. Every member is const and may be
// called from several threads at once.
class Tokenizer {
 public:
  // The GPT-2 vocabulary built into the library. Loaded once, on first use; thread-safe.
  static const Tokenizer& gpt2();
  // A vocabulary from files (encoder.json, vocab.bpe) instead of the built-in one. Throws
  // glide::Error: not_found for a missing file, io_error for an unreadable one, invalid_format
  // for contents that are not a GPT-2 encoder or merges list.
  static Tokenizer from_files(const std::string& encoder_json_path,
                              const std::string& vocab_bpe_path);

  Tokenizer(Tokenizer&&) noexcept;
  Tokenizer& operator=(Tokenizer&&) noexcept;
  ~Tokenizer();

  // Throws glide::Error(invalid_argument) when `text` is not valid UTF-8; the message gives the
  // byte offset where the first ill-formed sequence starts ("at byte offset N"). Overlong forms,
  // encoded surrogates (U+D800..U+DFFF) and code points above U+10FFFF are ill-formed.
  std::vector<int64_t> encode(std::string_view text) const;
  // The first `max_tokens` ids of encode(text), found without encoding the rest of the text: a
  // model reads only text_ctx tokens, and a prompt may be megabytes long. The same checks apply
  // to the whole text. (One pre-tokenizer piece, such as a long run of letters, is encoded whole.)
  std::vector<int64_t> encode(std::string_view text, size_t max_tokens) const;
  // Throws what encode() throws for text that is not valid UTF-8, without encoding it.
  static void check_text(std::string_view text);
  // Ids outside [0, n_vocab) are an error; byte sequences that are not UTF-8 decode to U+FFFD.
  std::string decode(const std::vector<int64_t>& ids) const;

  struct Padded {
    std::vector<int64_t> tokens;  // text_ctx ids: the first text_ctx of the input, then end tokens
    std::vector<bool> mask;       // true on real tokens
  };
  // Throws glide::Error(invalid_argument) when text_ctx is negative.
  Padded padded_tokens_and_mask(std::vector<int64_t> ids, int64_t text_ctx) const;

  int64_t n_vocab() const;
  int64_t end_token() const;  // n_vocab - 1, "<|endoftext|>"

  // encode() remembers each piece's ids (up to a bounded number of pieces); this forgets them.
  void clear_cache() const;

 private:
  struct Impl;
  explicit Tokenizer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace glide
