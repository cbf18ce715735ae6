#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "glide/error.hpp"
#include "glide/tokenizer.hpp"
#include "support/files.hpp"
#include "support/goldens.hpp"
#include "support/require_error.hpp"
#include "support/temp_dir.hpp"

using glide::Error;
using glide::Status;
using glide::Tokenizer;
using Ids = std::vector<int64_t>;

using glide::test::error_of;
using glide::test::write_file;

TEST_CASE("the built-in vocabulary is GPT-2's", "[tokenizer]") {
  const auto& tok = Tokenizer::gpt2();
  CHECK(tok.n_vocab() == 50257);
  CHECK(tok.end_token() == 50256);
  CHECK(tok.decode({tok.end_token()}) == "<|endoftext|>");
  CHECK(&Tokenizer::gpt2() == &tok);
}

TEST_CASE("encode, pad and decode reproduce the reference goldens", "[tokenizer]") {
  GLIDE_REQUIRE_GOLDEN(path, "tokenizer.json");
  std::ifstream in(path);
  const auto golden = nlohmann::json::parse(in);
  const auto& tok = Tokenizer::gpt2();
  CHECK(tok.n_vocab() == golden.at("n_vocab").get<int64_t>());
  CHECK(tok.end_token() == golden.at("end_token").get<int64_t>());
  REQUIRE(golden.at("cases").size() >= 12);
  for (const auto& c : golden.at("cases")) {
    const auto prompt = c.at("prompt").get<std::string>();
    INFO("prompt: " << prompt);
    const Ids tokens = tok.encode(prompt);
    CHECK(tokens == c.at("tokens").get<Ids>());
    const auto padded = tok.padded_tokens_and_mask(tokens, 128);
    CHECK(padded.tokens == c.at("padded_128").get<Ids>());
    CHECK(padded.mask == c.at("mask_128").get<std::vector<bool>>());
    CHECK(tok.decode(tokens) == c.at("decoded").get<std::string>());
  }
}

TEST_CASE("a known prompt encodes to known ids", "[tokenizer]") {
  // GLIDE's own example prompt; independent of the goldens folder.
  CHECK(Tokenizer::gpt2().encode("an oil painting of a corgi") ==
        Ids{272, 3056, 12036, 286, 257, 1162, 12397});
  CHECK(Tokenizer::gpt2().encode("").empty());
}

TEST_CASE("invalid UTF-8 is rejected with its byte offset", "[tokenizer]") {
  struct Case {
    const char* what;
    std::string text;
    int offset;
  };
  const std::vector<Case> cases = {
      {"lone continuation byte",
       "ab\x80"
       "cd",
       2},
      {"truncated three-byte sequence", "abc\xE6\x9D", 3},
      {"truncated sequence before ASCII",
       "x\xE6\x9D"
       "y",
       1},
      {"overlong two-byte '/'", "x\xC0\xAF", 1},
      {"overlong three-byte", "\xE0\x80\xAF", 0},
      {"encoded surrogate U+D800", "ok \xED\xA0\x80", 3},
      {"code point above U+10FFFF", "\xF4\x90\x80\x80", 0},
      {"byte 0xFF", "caf\xC3\xA9\xFF", 5},
  };
  for (const auto& c : cases) {
    INFO(c.what);
    const auto message =
        error_of([&] { Tokenizer::gpt2().encode(c.text); }, Status::invalid_argument);
    CHECK_THAT(message, Catch::Contains("byte offset " + std::to_string(c.offset) + " "));
  }
}

TEST_CASE("encode with a bound gives the first ids of the whole encoding", "[tokenizer]") {
  GLIDE_REQUIRE_GOLDEN(path, "tokenizer.json");
  std::ifstream in(path);
  const auto golden = nlohmann::json::parse(in);
  const auto& tok = Tokenizer::gpt2();
  for (const auto& c : golden.at("cases")) {
    const auto prompt = c.at("prompt").get<std::string>();
    const Ids all = c.at("tokens").get<Ids>();
    for (size_t n : {size_t{0}, size_t{1}, size_t{3}, all.size(), all.size() + 5}) {
      INFO("prompt: " << prompt << ", max_tokens " << n);
      const Ids bounded = tok.encode(prompt, n);
      CHECK(bounded == Ids(all.begin(), all.begin() + static_cast<long>(std::min(n, all.size()))));
    }
  }
}

TEST_CASE("a bounded encode of a long text still checks all of it", "[tokenizer]") {
  const auto& tok = Tokenizer::gpt2();
  std::string text;
  for (int i = 0; i < 100000; ++i) text += "an oil painting of a corgi ";
  const Ids first = tok.encode(text, 16);
  REQUIRE(first.size() == 16);
  const Ids start = tok.encode(text.substr(0, 200));
  CHECK(first == Ids(start.begin(), start.begin() + 16));
  const std::string bad = text + "\xFF";
  CHECK_THAT(error_of([&] { tok.encode(bad, 16); }, Status::invalid_argument),
             Catch::Contains("byte offset " + std::to_string(text.size()) + " "));
  CHECK_THAT(error_of([&] { Tokenizer::check_text(bad); }, Status::invalid_argument),
             Catch::Contains("not valid UTF-8"));
  CHECK_NOTHROW(Tokenizer::check_text(text));
}

TEST_CASE("decode rejects ids outside the vocabulary", "[tokenizer]") {
  const auto& tok = Tokenizer::gpt2();
  CHECK_THAT(error_of(
                 [&] {
                   tok.decode({64, 50257});
                 },
                 Status::invalid_argument),
             Catch::Contains("50257") && Catch::Contains("position 1"));
  CHECK_THAT(error_of([&] { tok.decode({-1}); }, Status::invalid_argument), Catch::Contains("-1"));
}

TEST_CASE("decode replaces bytes that are not UTF-8 by U+FFFD", "[tokenizer]") {
  const auto& tok = Tokenizer::gpt2();
  const Ids dog = tok.encode("\xF0\x9F\x90\xB6");  // U+1F436, split over byte tokens
  REQUIRE(dog.size() >= 2);
  CHECK(tok.decode(dog) == "\xF0\x9F\x90\xB6");
  CHECK(tok.decode({dog.front()}) == "\xEF\xBF\xBD");
  CHECK(tok.decode({dog.back(), 64}) ==
        "\xEF\xBF\xBD"
        "a");
}

TEST_CASE("decode(encode(x)) is the lower-cased text", "[tokenizer]") {
  const auto& tok = Tokenizer::gpt2();
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"A Red CIRCLE on a Blue Background", "a red circle on a blue background"},
      {"\xC3\x80\xC3\x89\xC3\x8E \xC3\x96L", "\xC3\xA0\xC3\xA9\xC3\xAE \xC3\xB6l"},  // ÀÉÎ ÖL
      {"\xCE\x9F\xCE\xA3\xCE\x9F\xCE\xA3 x",
       "\xCE\xBF\xCF\x83\xCE\xBF\xCF\x82 x"},   // ΟΣΟΣ: final σ
      {"\xC4\xB0stanbul", "i\xCC\x87stanbul"},  // İ lower-cases to i + U+0307
      {"  Tabs\tand\nNEWLINES  ", "  tabs\tand\nnewlines  "},
      {"\xE6\x9D\xB1\xE4\xBA\xAC \xF0\x9F\x90\xB6!", "\xE6\x9D\xB1\xE4\xBA\xAC \xF0\x9F\x90\xB6!"},
  };
  for (const auto& [text, lowered] : cases) {
    INFO(text);
    CHECK(tok.decode(tok.encode(text)) == lowered);
  }
}

TEST_CASE("pre-tokenizer whitespace is Unicode White_Space", "[tokenizer]") {
  // Ids from the reference tokenizer. U+001C..U+001F are not White_Space (Python's
  // str.isspace() counts them); U+0085 is (\s read as [\t\n\f\r\p{Z}] would miss it).
  const auto& tok = Tokenizer::gpt2();
  CHECK(tok.encode("\x1f's") == Ids{219, 6, 82});
  CHECK(tok.encode("\n\n\x1f") == Ids{198, 198, 219});
  CHECK(tok.encode("hello \xC2\x85world") == Ids{31373, 220, 126, 227, 6894});
}

TEST_CASE("padded_tokens_and_mask truncates, pads and masks", "[tokenizer]") {
  const auto& tok = Tokenizer::gpt2();
  const Ids ids = {10, 20, 30, 40, 50};
  const auto short_ctx = tok.padded_tokens_and_mask(ids, 3);
  CHECK(short_ctx.tokens == Ids{10, 20, 30});
  CHECK(short_ctx.mask == std::vector<bool>{true, true, true});
  const auto long_ctx = tok.padded_tokens_and_mask(ids, 7);
  CHECK(long_ctx.tokens == Ids{10, 20, 30, 40, 50, 50256, 50256});
  CHECK(long_ctx.mask == std::vector<bool>{true, true, true, true, true, false, false});
  const auto empty = tok.padded_tokens_and_mask({}, 2);
  CHECK(empty.tokens == Ids{50256, 50256});
  CHECK(empty.mask == std::vector<bool>{false, false});
  CHECK(tok.padded_tokens_and_mask(ids, 0).tokens.empty());
  CHECK_THAT(error_of([&] { tok.padded_tokens_and_mask(ids, -1); }, Status::invalid_argument),
             Catch::Contains("text_ctx"));
}

TEST_CASE("from_files loads a vocabulary and reports bad files", "[tokenizer]") {
  glide::test::ScratchDir dir;
  // A toy vocabulary; "\xC4\xA0" is U+0120, the byte alphabet's spelling of a space.
  const auto encoder =
      write_file(dir.file("encoder.json"),
                 R"({"a": 0, "b": 1, "ab": 2, "\u0120": 3, "\u0120ab": 4, "<|endoftext|>": 5})");
  const auto merges = write_file(dir.file("vocab.bpe"), "#version: 0.2\na b\n\xC4\xA0 ab\n");

  SECTION("a valid pair of files") {
    const auto tok = Tokenizer::from_files(encoder, merges);
    CHECK(tok.n_vocab() == 6);
    CHECK(tok.end_token() == 5);
    CHECK(tok.encode("AB ab b") == Ids{2, 4, 3, 1});
    CHECK(tok.decode({4, 2}) == " abab");
    CHECK_THAT(error_of([&] { tok.encode("c"); }, Status::invalid_format),
               Catch::Contains("\"c\""));
  }
  SECTION("a missing file") {
    const auto missing = dir.file("nope/encoder.json");
    CHECK_THAT(error_of([&] { Tokenizer::from_files(missing, merges); }, Status::not_found),
               Catch::Contains(missing) && Catch::Contains("encoder.json"));
    const auto missing_bpe = dir.file("vocab.bpe.missing");
    CHECK_THAT(error_of([&] { Tokenizer::from_files(encoder, missing_bpe); }, Status::not_found),
               Catch::Contains(missing_bpe));
  }
  SECTION("an encoder that is not JSON") {
    const auto bad = write_file(dir.file("bad.json"), "{\"a\": ");
    CHECK_THAT(error_of([&] { Tokenizer::from_files(bad, merges); }, Status::invalid_format),
               Catch::Contains(bad));
  }
  SECTION("an encoder with an id out of range") {
    const auto bad = write_file(dir.file("bad.json"), R"({"a": 0, "b": 7})");
    CHECK_THAT(error_of([&] { Tokenizer::from_files(bad, merges); }, Status::invalid_format),
               Catch::Contains("\"b\"") && Catch::Contains("7"));
  }
  SECTION("a merges line without two symbols") {
    const auto bad = write_file(dir.file("bad.bpe"), "#version: 0.2\na b\nab\n");
    CHECK_THAT(error_of([&] { Tokenizer::from_files(encoder, bad); }, Status::invalid_format),
               Catch::Contains("line 3"));
  }
  SECTION("merges without the version header") {
    const auto bad = write_file(dir.file("bad.bpe"), "a b\n");
    CHECK_THAT(error_of([&] { Tokenizer::from_files(encoder, bad); }, Status::invalid_format),
               Catch::Contains("#version"));
  }
}

TEST_CASE("merges go in rounds of one rank, as the reference applies them", "[tokenizer]") {
  // Here "xy x" ranks before "x y", which a trained vocabulary never does: merging every "x y"
  // first gives [xy, xy]; taking the "xy x" pair as soon as it forms would give [xyx, y].
  glide::test::ScratchDir dir;
  const auto encoder = write_file(dir.file("encoder.json"),
                                  R"({"x": 0, "y": 1, "xy": 2, "xyx": 3, "<|endoftext|>": 4})");
  const auto merges = write_file(dir.file("vocab.bpe"), "#version: 0.2\nxy x\nx y\n");
  const auto tok = Tokenizer::from_files(encoder, merges);
  CHECK(tok.encode("xyxy") == Ids{2, 2});
  CHECK(tok.encode("xyx") == Ids{3});
}

TEST_CASE("the piece cache changes no result", "[tokenizer]") {
  const auto& tok = Tokenizer::gpt2();
  const std::string text = "repeated words, repeated words; Repeated WORDS!";
  const Ids first = tok.encode(text);
  CHECK(tok.encode(text) == first);
  tok.clear_cache();
  CHECK(tok.encode(text) == first);
  CHECK(tok.decode(first) == "repeated words, repeated words; repeated words!");
}

TEST_CASE("encode is safe from several threads", "[tokenizer]") {
  const auto& tok = Tokenizer::gpt2();
  std::vector<std::string> texts;
  for (int i = 0; i < 200; ++i) {
    texts.push_back("prompt " + std::to_string(i * 7919) + " of a corgi wearing hat #" +
                    std::to_string(i) + " caf\xC3\xA9 \xE6\x9D\xB1\xE4\xBA\xAC");
  }
  std::vector<Ids> expected;
  for (const auto& t : texts) expected.push_back(tok.encode(t));
  tok.clear_cache();

  std::vector<int> mismatches(2, 0);
  std::vector<std::thread> threads;
  for (int w = 0; w < 2; ++w) {
    threads.emplace_back([&, w] {
      for (int round = 0; round < 20; ++round) {
        for (size_t i = 0; i < texts.size(); ++i) {
          const size_t k = w == 0 ? i : texts.size() - 1 - i;
          if (tok.encode(texts[k]) != expected[k]) ++mismatches[w];
        }
        if (w == 1 && round % 5 == 0) tok.clear_cache();
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(mismatches == std::vector<int>{0, 0});
}
