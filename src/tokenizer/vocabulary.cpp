#include "tokenizer/vocabulary.hpp"

#include <fmt/format.h>
#include <unicode/utf8.h>

#include <algorithm>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <utility>

#include "glide/error.hpp"

namespace glide::detail {
namespace {

// GPT-2's byte alphabet: printable Latin-1 bytes stand for themselves; the other 68 bytes
// (controls, space, DEL..NBSP, soft hyphen) take U+0100, U+0101, ... in byte order.
constexpr bool byte_is_printable(int b) {
  return (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE;
}

constexpr int32_t kAlphabetEnd = 0x100 + 68;

struct ByteAlphabet {
  std::array<int16_t, kAlphabetEnd> byte_of{};  // code point -> byte, -1 outside the alphabet
  ByteAlphabet() {
    byte_of.fill(-1);
    int32_t next = 0x100;
    for (int b = 0; b < 256; ++b)
      byte_of[byte_is_printable(b) ? b : next++] = static_cast<int16_t>(b);
  }
};

const ByteAlphabet& alphabet() {
  static const ByteAlphabet table;
  return table;
}

// The raw bytes a token spelled in the byte alphabet stands for; nullopt when it holds a code
// point outside the alphabet or is not UTF-8.
std::optional<std::string> alphabet_to_bytes(std::string_view spelled) {
  const auto* s = reinterpret_cast<const uint8_t*>(spelled.data());
  const auto length = static_cast<int32_t>(spelled.size());
  std::string bytes;
  bytes.reserve(spelled.size());
  for (int32_t i = 0; i < length;) {
    UChar32 c;
    U8_NEXT(s, i, length, c);
    if (c < 0 || c >= kAlphabetEnd || alphabet().byte_of[c] < 0) return std::nullopt;
    bytes.push_back(static_cast<char>(alphabet().byte_of[c]));
  }
  return bytes;
}

std::string_view trim_cr(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

// Splits a merges line on ASCII blanks; the byte alphabet has no blank characters.
std::vector<std::string_view> split_fields(std::string_view line) {
  std::vector<std::string_view> fields;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    size_t j = i;
    while (j < line.size() && line[j] != ' ' && line[j] != '\t') ++j;
    if (j > i) fields.push_back(line.substr(i, j - i));
    i = j;
  }
  return fields;
}

// Interns byte strings as dense symbol ids (open addressing over ids, at most half full).
class SymbolTable {
 public:
  explicit SymbolTable(size_t expected) {
    size_t n = 16;
    while (n < 2 * expected) n *= 2;
    slots_.assign(n, -1);
    bytes_.reserve(expected);
  }
  // The id of `bytes`, adding it when new.
  int32_t intern(std::string_view bytes) {
    size_t i = std::hash<std::string_view>()(bytes) & (slots_.size() - 1);
    for (; slots_[i] >= 0; i = (i + 1) & (slots_.size() - 1)) {
      if (bytes_[slots_[i]] == bytes) return slots_[i];
    }
    slots_[i] = static_cast<int32_t>(bytes_.size());
    bytes_.emplace_back(bytes);
    if (2 * bytes_.size() > slots_.size()) grow();
    return static_cast<int32_t>(bytes_.size() - 1);
  }
  size_t size() const { return bytes_.size(); }
  std::vector<std::string> release() { return std::move(bytes_); }

 private:
  void grow() {
    slots_.assign(slots_.size() * 2, -1);
    for (size_t id = 0; id < bytes_.size(); ++id) {
      size_t i = std::hash<std::string_view>()(bytes_[id]) & (slots_.size() - 1);
      while (slots_[i] >= 0) i = (i + 1) & (slots_.size() - 1);
      slots_[i] = static_cast<int32_t>(id);
    }
  }
  std::vector<int32_t> slots_;
  std::vector<std::string> bytes_;
};

// Reads encoder.json as a stream of events: a DOM of 50k small values would cost more than the
// rest of loading together.
class EncoderReader {
 public:
  using json = nlohmann::json;
  explicit EncoderReader(const std::string& name) : name_(name) {}

  bool start_object(std::size_t) { return ++depth_ == 1 || fail_value("an object"); }
  bool end_object() { return --depth_, true; }
  bool key(std::string& k) {
    key_ = std::move(k);
    return true;
  }
  bool number_unsigned(json::number_unsigned_t id) {
    entries_.emplace_back(std::move(key_), id);
    return true;
  }
  bool number_integer(json::number_integer_t id) {
    return id >= 0 ? number_unsigned(static_cast<json::number_unsigned_t>(id))
                   : fail_value(std::to_string(id));
  }
  bool number_float(json::number_float_t, const std::string& s) { return fail_value(s); }
  bool string(std::string&) { return fail_value("a string"); }
  bool binary(json::binary_t&) { return fail_value("binary data"); }
  bool boolean(bool) { return fail_value("a boolean"); }
  bool null() { return fail_value("null"); }
  bool start_array(std::size_t) { return fail_value("an array"); }
  bool end_array() { return false; }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) {
    throw Error(Status::invalid_format,
                fmt::format("GPT-2 encoder {} is not valid JSON ({}); expected an object mapping "
                            "token strings to ids",
                            name_, e.what()));
  }

  std::vector<std::pair<std::string, uint64_t>>& entries() { return entries_; }

 private:
  bool fail_value(const std::string& what) {
    if (depth_ == 0) {
      throw Error(Status::invalid_format,
                  fmt::format("GPT-2 encoder {} holds {} at the top level; expected an object "
                              "mapping token strings to ids",
                              name_, what));
    }
    throw Error(Status::invalid_format,
                fmt::format("GPT-2 encoder {}: token \"{}\" maps to {}; expected an integer id",
                            name_, key_, what));
  }

  const std::string& name_;
  int depth_ = 0;
  std::string key_;
  std::vector<std::pair<std::string, uint64_t>> entries_;
};

}  // namespace

Vocabulary Vocabulary::parse(std::string_view encoder_json, std::string_view merges_text,
                             const std::string& encoder_name, const std::string& merges_name) {
  Vocabulary v;
  EncoderReader reader(encoder_name);
  nlohmann::json::sax_parse(encoder_json.begin(), encoder_json.end(), &reader);
  auto& entries = reader.entries();
  if (entries.empty()) {
    throw Error(Status::invalid_format,
                fmt::format("GPT-2 encoder {} has no tokens; expected an object mapping token "
                            "strings to ids",
                            encoder_name));
  }
  const auto n = static_cast<int64_t>(entries.size());
  // Token ids become the first n symbol ids: sort the entries by id, then intern in that order.
  std::sort(entries.begin(), entries.end(),
            [](const auto& a, const auto& b) { return a.second < b.second; });
  SymbolTable symbols(static_cast<size_t>(n) + 1024);
  for (int64_t i = 0; i < n; ++i) {
    const auto& [spelled, id] = entries[i];
    if (id != static_cast<uint64_t>(i)) {
      throw Error(Status::invalid_format,
                  fmt::format("GPT-2 encoder {}: token \"{}\" has id {}; expected each id in "
                              "[0, {}) exactly once",
                              encoder_name, spelled, id, n));
    }
    const auto bytes = alphabet_to_bytes(spelled);
    if (!bytes || symbols.intern(*bytes) != i) {
      throw Error(Status::invalid_format,
                  fmt::format("GPT-2 encoder {}: token \"{}\" (id {}) has a character outside "
                              "GPT-2's byte alphabet",
                              encoder_name, spelled, id));
    }
  }
  v.n_tokens_ = n;
  for (int b = 0; b < 256; ++b) {
    const char byte = static_cast<char>(b);
    v.byte_symbol_[b] = symbols.intern(std::string_view(&byte, 1));
  }

  // The first line is a "#version" header; each further line is "left right".
  size_t line_start = merges_text.find('\n');
  if (merges_text.empty() || merges_text[0] != '#' || line_start == std::string_view::npos) {
    throw Error(Status::invalid_format,
                fmt::format("GPT-2 merges {} does not start with a \"#version\" header line; "
                            "expected vocab.bpe",
                            merges_name));
  }
  const auto n_lines = std::count(merges_text.begin(), merges_text.end(), '\n') + 1;
  size_t capacity = 16;
  while (capacity < static_cast<size_t>(2 * n_lines)) capacity *= 2;
  v.merges_.assign(capacity, Merge{});
  v.merge_mask_ = capacity - 1;
  int32_t rank = 0;
  int64_t line_number = 1;
  std::string merged;
  while (line_start < merges_text.size()) {
    ++line_start;
    ++line_number;
    size_t line_end = merges_text.find('\n', line_start);
    if (line_end == std::string_view::npos) line_end = merges_text.size();
    const auto line = trim_cr(merges_text.substr(line_start, line_end - line_start));
    line_start = line_end;
    const auto fields = split_fields(line);
    if (fields.empty()) continue;
    if (fields.size() != 2) {
      throw Error(Status::invalid_format,
                  fmt::format("GPT-2 merges {} line {}: \"{}\" has {} fields; expected two "
                              "symbols separated by a space",
                              merges_name, line_number, line, fields.size()));
    }
    const auto left = alphabet_to_bytes(fields[0]);
    const auto right = alphabet_to_bytes(fields[1]);
    const int32_t this_rank = rank++;
    // A symbol outside the byte alphabet can never occur in a piece, so its merge never applies.
    if (!left || !right) continue;
    merged.assign(*left).append(*right);
    const int32_t l = symbols.intern(*left);
    const int32_t r = symbols.intern(*right);
    v.add_merge(l, r, this_rank, symbols.intern(merged));
  }
  v.symbol_bytes_ = symbols.release();
  return v;
}

size_t Vocabulary::slot_of(uint64_t pair) const {
  // Fibonacci hashing spreads the two packed ids over the table.
  size_t i = static_cast<size_t>((pair * 0x9E3779B97F4A7C15ull) >> 32) & merge_mask_;
  while (merges_[i].pair != kEmpty && merges_[i].pair != pair) i = (i + 1) & merge_mask_;
  return i;
}

void Vocabulary::add_merge(int32_t left, int32_t right, int32_t rank, int32_t merged) {
  // A repeated pair keeps its last rank, as a Python dict built from the list would.
  merges_[slot_of(pair_key(left, right))] = Merge{pair_key(left, right), rank, merged};
}

const Vocabulary::Merge* Vocabulary::find_merge(int32_t left, int32_t right) const {
  const Merge& m = merges_[slot_of(pair_key(left, right))];
  return m.pair == kEmpty ? nullptr : &m;
}

int64_t Vocabulary::token_of(int32_t symbol) const {
  if (symbol < size()) return symbol;
  throw Error(Status::invalid_format,
              fmt::format("the BPE merges produce the symbol \"{}\", which the encoder has no id "
                          "for; expected encoder.json and vocab.bpe from the same vocabulary",
                          symbol_bytes_[symbol]));
}

void Vocabulary::encode_piece(std::string_view piece, std::vector<int64_t>& out) const {
  const auto n = static_cast<int32_t>(piece.size());
  if (n == 0) return;
  // A doubly linked list over the piece's bytes; a merge folds a node into its left neighbour,
  // which keeps its original position, so positions stay ordered left to right.
  std::vector<int32_t> symbol(n), prev(n), next(n);
  std::vector<bool> alive(n, true);
  for (int32_t i = 0; i < n; ++i) {
    symbol[i] = byte_symbol_[static_cast<uint8_t>(piece[i])];
    prev[i] = i - 1;
    next[i] = i + 1 < n ? i + 1 : -1;
  }
  using Entry = std::pair<int32_t, int32_t>;  // (rank, left position)
  std::vector<Entry> heap;
  const auto push = [&](int32_t pos) {
    if (!alive[pos] || next[pos] < 0) return;
    if (const Merge* m = find_merge(symbol[pos], symbol[next[pos]])) {
      heap.emplace_back(m->rank, pos);
      std::push_heap(heap.begin(), heap.end(), std::greater<>());
    }
  };
  for (int32_t i = 0; i + 1 < n; ++i) push(i);

  // Each round applies the lowest-ranked merge at every place it occurs, left to right; pairs
  // formed during a round wait for the next one, whatever their rank.
  std::vector<int32_t> touched;
  while (!heap.empty()) {
    const int32_t round_rank = heap.front().first;
    touched.clear();
    while (!heap.empty() && heap.front().first == round_rank) {
      std::pop_heap(heap.begin(), heap.end(), std::greater<>());
      const int32_t pos = heap.back().second;
      heap.pop_back();
      if (!alive[pos] || next[pos] < 0) continue;
      const int32_t right = next[pos];
      const Merge* m = find_merge(symbol[pos], symbol[right]);
      if (m == nullptr || m->rank != round_rank) continue;
      symbol[pos] = m->merged;
      alive[right] = false;
      next[pos] = next[right];
      if (next[right] >= 0) prev[next[right]] = pos;
      if (prev[pos] >= 0) touched.push_back(prev[pos]);
      touched.push_back(pos);
    }
    for (const int32_t pos : touched) push(pos);
  }
  for (int32_t i = 0; i >= 0; i = next[i]) out.push_back(token_of(symbol[i]));
}

}  // namespace glide::detail
