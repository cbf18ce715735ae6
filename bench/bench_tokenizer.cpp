// Tokenizer figures: loading the built-in vocabulary, throughput on about 100 KB of varied text
// with the piece cache cleared first and with it warm, and the latency of one GLIDE-sized prompt
// (to set against a model step of about 100 ms).
#include <fmt/core.h>

#include <algorithm>
#include <chrono>
#include <random>
#include <string>
#include <vector>

#include "glide/tokenizer.hpp"

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// About `bytes` of prose-like text: common words, invented words (so that most pieces are new to
// the cache), numbers, punctuation, accents, CJK and emoji, drawn with a fixed seed.
std::string varied_text(size_t bytes) {
  const std::vector<std::string> words = {"the",
                                          "a",
                                          "painting",
                                          "of",
                                          "corgi",
                                          "wearing",
                                          "red",
                                          "hat",
                                          "Astronaut",
                                          "riding",
                                          "horse",
                                          "on",
                                          "Mars",
                                          "in",
                                          "style",
                                          "Van",
                                          "Gogh's",
                                          "isn't",
                                          "they'll",
                                          "photograph",
                                          "watercolor",
                                          "futuristic",
                                          "city",
                                          "at",
                                          "night",
                                          "neon",
                                          "lights",
                                          "reflections",
                                          "caf\xC3\xA9",
                                          "na\xC3\xAFve",
                                          "r\xC3\xA9sum\xC3\xA9",
                                          "\xE6\x9D\xB1\xE4\xBA\xAC",
                                          "\xF0\x9F\x90\xB6",
                                          "1984",
                                          "3.14159",
                                          "4K",
                                          "ultra-detailed",
                                          "(oil",
                                          "canvas)",
                                          "highly",
                                          "detailed",
                                          "trending",
                                          "artstation",
                                          "Z\xC3\xBCrich",
                                          "\xCE\x91\xCE\xB8\xCE\xAE\xCE\xBD\xCE\xB1"};
  const std::vector<std::string> syllables = {"ka",  "lo",  "mir", "sen", "tu",  "va",
                                              "rek", "ish", "pho", "ne",  "gra", "dul",
                                              "bes", "qui", "zor", "ant"};
  const std::vector<std::string> separators = {" ", " ", " ", " ", ", ", ". ", "! ", "\n", "  "};
  std::mt19937 rng(1234);
  std::string text;
  text.reserve(bytes + 32);
  while (text.size() < bytes) {
    if (rng() % 3 == 0) {
      for (int k = 2 + rng() % 3; k > 0; --k) text += syllables[rng() % syllables.size()];
    } else {
      text += words[rng() % words.size()];
    }
    text += separators[rng() % separators.size()];
  }
  return text;
}

}  // namespace

int main() {
  auto start = Clock::now();
  const auto& tok = glide::Tokenizer::gpt2();
  fmt::print("load built-in vocabulary: {:.1f} ms\n", seconds_since(start) * 1e3);

  const std::string text = varied_text(100 * 1024);
  const int repeats = 5;
  double cold = 1e30, warm = 1e30;
  size_t n_tokens = 0;
  for (int r = 0; r < repeats; ++r) {
    tok.clear_cache();
    start = Clock::now();
    n_tokens = tok.encode(text).size();
    cold = std::min(cold, seconds_since(start));
    start = Clock::now();
    tok.encode(text);
    warm = std::min(warm, seconds_since(start));
  }
  fmt::print("encode {} KB ({} tokens), cache cleared first: {:.0f} tokens/s ({:.2f} MB/s)\n",
             text.size() / 1024, n_tokens, n_tokens / cold, text.size() / cold / 1e6);
  fmt::print("encode {} KB ({} tokens), cache warm:          {:.0f} tokens/s ({:.2f} MB/s)\n",
             text.size() / 1024, n_tokens, n_tokens / warm, text.size() / warm / 1e6);

  // One prompt of about 128 tokens, encoded and padded as a generation does.
  std::string prompt = "an oil painting of a corgi wearing a party hat, ";
  while (tok.encode(prompt).size() < 128) prompt += "highly detailed watercolor of Z\xC3\xBCrich, ";
  const auto prompt_tokens = tok.encode(prompt).size();
  const int iterations = 2000;
  double best_warm = 1e30;
  for (int i = 0; i < iterations; ++i) {
    start = Clock::now();
    auto padded = tok.padded_tokens_and_mask(tok.encode(prompt), 128);
    best_warm = std::min(best_warm, seconds_since(start));
    if (padded.tokens.size() != 128) return 1;
  }
  double best_cold = 1e30;
  for (int i = 0; i < 200; ++i) {
    tok.clear_cache();
    start = Clock::now();
    tok.padded_tokens_and_mask(tok.encode(prompt), 128);
    best_cold = std::min(best_cold, seconds_since(start));
  }
  fmt::print(
      "one {}-token prompt, encode + pad to 128: {:.1f} us (cache warm), {:.1f} us (cache "
      "cleared)\n",
      prompt_tokens, best_warm * 1e6, best_cold * 1e6);
  return 0;
}
