#include "libs/credentials/base64url.h"

#include <catch2/catch.hpp>

using mpli::credentials::base64_decode;
using mpli::credentials::base64url_decode;
using mpli::credentials::base64url_encode;

TEST_CASE("base64url round-trips every length", "[base64url]") {
  std::string bytes;
  for (int i = 0; i < 40; ++i) {
    auto decoded = base64url_decode(base64url_encode(bytes));
    REQUIRE(decoded.is_ok());
    CHECK(*decoded == bytes);
    bytes.push_back(static_cast<char>(i * 37));
  }
  CHECK(base64url_encode("\xfb\xff") == "-_8");
}

TEST_CASE("base64url refuses what JOSE forbids, saying where", "[base64url]") {
  CHECK_FALSE(base64url_decode("YQ==").is_ok());   // padding
  CHECK_FALSE(base64url_decode("a+b/").is_ok());   // standard alphabet
  CHECK_FALSE(base64url_decode("abcde").is_ok());  // length 1 mod 4
  CHECK_FALSE(base64url_decode("YR").is_ok());     // non-zero trailing bits ("YQ" is canonical)
  auto bad = base64url_decode("ab$d");
  REQUIRE_FALSE(bad.is_ok());
  CHECK(bad.status().detail("reason") == "MALFORMED");
  CHECK(bad.status().detail("column") == "3");
}

TEST_CASE("base64 (x5c) accepts padding", "[base64url]") {
  auto decoded = base64_decode("YWI=");
  REQUIRE(decoded.is_ok());
  CHECK(*decoded == "ab");
  CHECK_FALSE(base64_decode("YWI").is_ok());
}
