#include "services/trust/domain/url_rewrites.h"

#include <catch2/catch.hpp>

using mpli::trust::parse_url_rewrites;
using mpli::trust::rewrite_url;

TEST_CASE("URL rewrites replace the first matching prefix", "[rewrites]") {
  auto rewrites = parse_url_rewrites(
      "https://a.example/=http://127.0.0.1:8081/ https://b.example/=http://127.0.0.1:8082/");
  REQUIRE(rewrites.is_ok());
  CHECK(rewrite_url(*rewrites, "https://a.example/vc/x.jwt") == "http://127.0.0.1:8081/vc/x.jwt");
  CHECK(rewrite_url(*rewrites, "https://b.example/.well-known/did.json") ==
        "http://127.0.0.1:8082/.well-known/did.json");
  // Only a prefix match: a look-alike host is left alone, and is then refused by the guards.
  CHECK(rewrite_url(*rewrites, "https://a.example.evil/x") == "https://a.example.evil/x");
  CHECK(rewrite_url(*rewrites, "https://c.example/x") == "https://c.example/x");
}

TEST_CASE("an empty setting rewrites nothing, a bad pair is named", "[rewrites]") {
  auto none = parse_url_rewrites("");
  REQUIRE(none.is_ok());
  CHECK(none->empty());
  auto bad = parse_url_rewrites("https://a.example/ http://x/");
  REQUIRE_FALSE(bad.is_ok());
  CHECK(bad.status().message().find("'https://a.example/'") != std::string::npos);
}
