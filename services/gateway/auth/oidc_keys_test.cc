// The pure halves of OIDC key fetching: the discovery document and the JWKS.
#include "services/gateway/auth/oidc_keys.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "libs/credentials/jwk.h"
#include "libs/credentials/jws.h"

namespace mpli::gateway::auth {

using nlohmann::json;

TEST_CASE("the discovery document must name the issuer it was fetched for") {
  auto uri = jwks_uri_from_discovery(
      R"({"issuer": "https://idp.example", "jwks_uri": "https://idp.example/keys"})",
      "https://idp.example");
  REQUIRE(uri);
  CHECK(*uri == "https://idp.example/keys");
  CHECK_FALSE(jwks_uri_from_discovery(
      R"({"issuer": "https://evil.example", "jwks_uri": "https://evil.example/keys"})",
      "https://idp.example"));
  CHECK_FALSE(
      jwks_uri_from_discovery(R"({"issuer": "https://idp.example"})", "https://idp.example"));
  CHECK_FALSE(jwks_uri_from_discovery("[]", "https://idp.example"));
}

TEST_CASE("a JWKS yields its P-256 signing keys by kid and skips the rest") {
  auto p256 = credentials::SigningKey::generate(credentials::KeyType::kP256);
  auto ed = credentials::SigningKey::generate(credentials::KeyType::kEd25519);
  REQUIRE(p256);
  REQUIRE(ed);
  json good = credentials::public_jwk(p256->public_key());
  good["kid"] = "k1";
  json no_kid = credentials::public_jwk(p256->public_key());
  json encryption = good;
  encryption["kid"] = "enc";
  encryption["use"] = "enc";
  json eddsa = credentials::public_jwk(ed->public_key());
  eddsa["kid"] = "ed";
  json rsa = {{"kty", "RSA"}, {"kid", "rsa"}, {"n", "AQAB"}, {"e", "AQAB"}};
  json oct = {{"kty", "oct"}, {"kid", "oct"}, {"k", "c2VjcmV0"}};
  auto keys = keys_from_jwks(json{{"keys", {good, no_kid, encryption, eddsa, rsa, oct}}}.dump());
  REQUIRE(keys);
  REQUIRE(keys->size() == 1);
  CHECK(keys->front().first == "k1");
  CHECK_FALSE(keys_from_jwks("{}"));
  CHECK_FALSE(keys_from_jwks("not json"));
}

}  // namespace mpli::gateway::auth
