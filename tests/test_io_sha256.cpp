// SHA-256 against the FIPS 180-4 example messages (NIST's published digests).
#include <catch2/catch.hpp>
#include <fstream>
#include <string>

#include "glide/error.hpp"
#include "glide/io/sha256.hpp"
#include "support/temp_dir.hpp"

using glide::io::sha256_file_hex;
using glide::io::sha256_hex;

TEST_CASE("sha256 of the FIPS 180-4 example messages", "[io]") {
  CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  // 56 bytes: the length no longer fits in the first block, so padding takes a second one.
  CHECK(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  CHECK(sha256_hex(std::string(1000000, 'a')) ==
        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_CASE("sha256 is the same however the input is split", "[io]") {
  std::string message;
  for (int i = 0; i < 300; ++i) message += static_cast<char>(i * 7 + 3);
  const std::string whole = sha256_hex(message);
  for (size_t step : {1, 3, 63, 64, 65, 200}) {
    glide::io::Sha256 h;
    for (size_t at = 0; at < message.size(); at += step) {
      h.update(message.data() + at, std::min(step, message.size() - at));
    }
    std::string hex;
    for (uint8_t b : h.finish()) {
      const char* digits = "0123456789abcdef";
      hex += digits[b >> 4];
      hex += digits[b & 15];
    }
    CHECK(hex == whole);
  }
}

TEST_CASE("sha256_file_hex hashes a file's bytes and names a missing file", "[io]") {
  glide::test::ScratchDir dir;
  const std::string path = dir.file("abc.bin");
  std::ofstream(path, std::ios::binary) << "abc";
  CHECK(sha256_file_hex(path) ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  try {
    sha256_file_hex(dir.file("missing.bin"));
    FAIL("expected an error");
  } catch (const glide::Error& e) {
    CHECK(e.status() == glide::Status::not_found);
    CHECK(std::string(e.what()).find("missing.bin") != std::string::npos);
  }
}
