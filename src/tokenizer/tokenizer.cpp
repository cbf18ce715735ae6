#include "glide/tokenizer.hpp"

#include <fmt/format.h>
#include <unicode/bytestream.h>
#include <unicode/casemap.h>
#include <unicode/regex.h>
#include <unicode/utext.h>
#include <unicode/utf8.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <mutex>
#include <shared_mutex>
#include <unordered_map>

#include "glide/error.hpp"
#include "glide/io/files.hpp"
#include "tokenizer/vocabulary.hpp"

extern "C" {
extern const char glide_gpt2_encoder_json_begin[];
extern const char glide_gpt2_encoder_json_end[];
extern const char glide_gpt2_vocab_bpe_begin[];
extern const char glide_gpt2_vocab_bpe_end[];
}

namespace glide {
namespace {

// Pieces longer than this are encoded every time: long runs are rare and would bloat the cache.
constexpr size_t kMaxCachedPieceBytes = 64;
constexpr size_t kMaxCachedPieces = 1 << 16;

// GPT-2's pre-tokenizer. In Python's `regex` module, which GLIDE uses, \s is exactly the Unicode
// White_Space property (U+0085 and U+00A0 in, U+001C..U+001F out, unlike str.isspace()); naming
// the property keeps that meaning whatever a regex engine takes \s to be.
constexpr char kPattern[] =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\p{White_Space}\p{L}\p{N}]+)"
    R"(|\p{White_Space}+(?!\P{White_Space})|\p{White_Space}+)";

const icu::RegexPattern& pretokenizer() {
  static const std::unique_ptr<icu::RegexPattern> pattern = [] {
    UErrorCode status = U_ZERO_ERROR;
    UParseError where{};
    std::unique_ptr<icu::RegexPattern> p(
        icu::RegexPattern::compile(icu::UnicodeString::fromUTF8(kPattern), 0, where, status));
    if (U_FAILURE(status)) {
      throw Error(Status::internal, fmt::format("ICU rejects GPT-2's pre-tokenizer pattern: {}",
                                                u_errorName(status)));
    }
    return p;
  }();
  return *pattern;
}

void check_utf8(std::string_view text) {
  if (text.size() > static_cast<size_t>(INT32_MAX)) {
    throw Error(Status::invalid_argument,
                fmt::format("the text has {} bytes; expected at most {}", text.size(), INT32_MAX));
  }
  const auto* s = reinterpret_cast<const uint8_t*>(text.data());
  const auto length = static_cast<int32_t>(text.size());
  for (int32_t i = 0; i < length;) {
    const int32_t start = i;
    UChar32 c;
    U8_NEXT(s, i, length, c);
    if (c < 0) {
      throw Error(Status::invalid_argument,
                  fmt::format("the text is not valid UTF-8: ill-formed "
                              "sequence at byte offset {} (byte 0x{:02X}); expected UTF-8 text",
                              start, s[start]));
    }
  }
}

std::string lower(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  icu::StringByteSink<std::string> sink(&out);
  UErrorCode status = U_ZERO_ERROR;
  icu::CaseMap::utf8ToLower("", 0, icu::StringPiece(text.data(), static_cast<int32_t>(text.size())),
                            sink, nullptr, status);
  if (U_FAILURE(status)) {
    throw Error(
        Status::internal,
        fmt::format("the tokenizer: ICU could not lower-case the text: {}", u_errorName(status)));
  }
  return out;
}

std::string read_file(const std::string& path, const char* what) {
  try {
    return io::read_file(path);
  } catch (const Error& e) {
    throw Error(e.status(), fmt::format("the tokenizer's {} file: {}{}", what, e.what(),
                                        e.status() == Status::not_found
                                            ? "; scripts/setup.sh fetches GPT-2's files into "
                                              "third_party/gpt2-vocab"
                                            : ""));
  }
}

}  // namespace

struct Tokenizer::Impl {
  explicit Impl(detail::Vocabulary v) : vocab(std::move(v)) {}

  void encode_piece(std::string_view piece, std::vector<int64_t>& out) const {
    const bool cacheable = piece.size() <= kMaxCachedPieceBytes;
    if (cacheable) {
      std::shared_lock lock(cache_mutex);
      const auto it = cache.find(std::string(piece));
      if (it != cache.end()) {
        out.insert(out.end(), it->second.begin(), it->second.end());
        return;
      }
    }
    const size_t first = out.size();
    vocab.encode_piece(piece, out);
    if (cacheable) {
      std::unique_lock lock(cache_mutex);
      if (cache.size() >= kMaxCachedPieces) cache.clear();
      cache.emplace(std::string(piece), std::vector<int64_t>(out.begin() + first, out.end()));
    }
  }

  detail::Vocabulary vocab;
  mutable std::shared_mutex cache_mutex;
  mutable std::unordered_map<std::string, std::vector<int64_t>> cache;
};

Tokenizer::Tokenizer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Tokenizer::Tokenizer(Tokenizer&&) noexcept = default;
Tokenizer& Tokenizer::operator=(Tokenizer&&) noexcept = default;
Tokenizer::~Tokenizer() = default;

const Tokenizer& Tokenizer::gpt2() {
  static const Tokenizer builtin(std::make_unique<Impl>(detail::Vocabulary::parse(
      std::string_view(glide_gpt2_encoder_json_begin,
                       glide_gpt2_encoder_json_end - glide_gpt2_encoder_json_begin),
      std::string_view(glide_gpt2_vocab_bpe_begin,
                       glide_gpt2_vocab_bpe_end - glide_gpt2_vocab_bpe_begin),
      "(built-in encoder.json)", "(built-in vocab.bpe)")));
  return builtin;
}

Tokenizer Tokenizer::from_files(const std::string& encoder_json_path,
                                const std::string& vocab_bpe_path) {
  const std::string encoder = read_file(encoder_json_path, "encoder.json");
  const std::string merges = read_file(vocab_bpe_path, "vocab.bpe");
  return Tokenizer(std::make_unique<Impl>(detail::Vocabulary::parse(
      encoder, merges, "'" + encoder_json_path + "'", "'" + vocab_bpe_path + "'")));
}

std::vector<int64_t> Tokenizer::encode(std::string_view text) const {
  return encode(text, SIZE_MAX);
}

std::vector<int64_t> Tokenizer::encode(std::string_view text, size_t max_tokens) const {
  check_utf8(text);
  // Lower-casing looks at neighbours (a final sigma), so the whole text is lowered; it is cheap
  // next to matching and merging, which stop once max_tokens ids are known.
  const std::string lowered = lower(text);
  std::vector<int64_t> ids;
  ids.reserve(std::min(lowered.size() / 3 + 1, max_tokens));

  UErrorCode status = U_ZERO_ERROR;
  icu::LocalUTextPointer input(
      utext_openUTF8(nullptr, lowered.data(), static_cast<int64_t>(lowered.size()), &status));
  std::unique_ptr<icu::RegexMatcher> matcher(pretokenizer().matcher(status));
  if (U_FAILURE(status)) {
    throw Error(Status::internal,
                fmt::format("the tokenizer: ICU regex setup failed: {}", u_errorName(status)));
  }
  matcher->reset(input.getAlias());
  // Pieces are encoded independently, so the first ids of the text are those of its first pieces.
  while (ids.size() < max_tokens && matcher->find()) {
    // On UTF-8 input, ICU's native indexes are byte offsets.
    const int64_t begin = matcher->start64(status);
    const int64_t end = matcher->end64(status);
    if (U_FAILURE(status)) {
      throw Error(Status::internal,
                  fmt::format("the tokenizer: ICU regex match failed: {}", u_errorName(status)));
    }
    impl_->encode_piece(std::string_view(lowered).substr(begin, end - begin), ids);
  }
  if (ids.size() > max_tokens) ids.resize(max_tokens);
  return ids;
}

void Tokenizer::check_text(std::string_view text) {
  check_utf8(text);
}

std::string Tokenizer::decode(const std::vector<int64_t>& ids) const {
  std::string bytes;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (ids[i] < 0 || ids[i] >= n_vocab()) {
      throw Error(Status::invalid_argument, fmt::format("token id {} at position {} is outside the "
                                                        "vocabulary; expected an id in [0, {})",
                                                        ids[i], i, n_vocab()));
    }
    bytes += impl_->vocab.token_bytes(ids[i]);
  }
  // Each maximal ill-formed subsequence becomes one U+FFFD, as Python's errors="replace" does.
  std::string text;
  text.reserve(bytes.size());
  const auto* s = reinterpret_cast<const uint8_t*>(bytes.data());
  const auto length = static_cast<int64_t>(bytes.size());
  for (int64_t i = 0; i < length;) {
    const int64_t start = i;
    UChar32 c;
    U8_NEXT(s, i, length, c);
    if (c < 0) {
      text += "\xEF\xBF\xBD";
    } else {
      text.append(bytes, start, i - start);
    }
  }
  return text;
}

Tokenizer::Padded Tokenizer::padded_tokens_and_mask(std::vector<int64_t> ids,
                                                    int64_t text_ctx) const {
  if (text_ctx < 0) {
    throw Error(Status::invalid_argument, fmt::format("text_ctx is {}; expected a "
                                                      "non-negative context length",
                                                      text_ctx));
  }
  const auto ctx = static_cast<size_t>(text_ctx);
  const size_t real = std::min(ids.size(), ctx);
  ids.resize(ctx, end_token());
  Padded padded{std::move(ids), std::vector<bool>(ctx, false)};
  std::fill(padded.mask.begin(), padded.mask.begin() + real, true);
  return padded;
}

int64_t Tokenizer::n_vocab() const {
  return impl_->vocab.size();
}

int64_t Tokenizer::end_token() const {
  return n_vocab() - 1;
}

void Tokenizer::clear_cache() const {
  std::unique_lock lock(impl_->cache_mutex);
  impl_->cache.clear();
}

}  // namespace glide
