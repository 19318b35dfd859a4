#include <openssl/hmac.h>

#include <catch2/catch.hpp>
#include <string>

#include "libs/credentials/base64url.h"
#include "libs/credentials/did.h"
#include "libs/credentials/json_document.h"
#include "libs/credentials/jwk.h"
#include "libs/credentials/jws.h"

using namespace mpli::credentials;

namespace {

std::string reason(const mpli::Status& status) { return status.detail("reason"); }

SigningKey make_key(KeyType type) {
  auto key = SigningKey::generate(type);
  REQUIRE(key.is_ok());
  return std::move(key).value();
}

// A token with `header` and `payload` and an arbitrary (wrong) signature.
std::string unsigned_token(const nlohmann::json& header, const std::string& payload,
                           const std::string& signature = "sig") {
  return base64url_encode(header.dump()) + "." + base64url_encode(payload) + "." +
         base64url_encode(signature);
}

}  // namespace

TEST_CASE("JSON is parsed within limits, never throwing", "[json]") {
  CHECK(parse_json(R"({"a":[1,2,{"b":null}]})").is_ok());
  auto broken = parse_json(R"({"a": tru})");
  REQUIRE_FALSE(broken.is_ok());
  CHECK(reason(broken.status()) == "MALFORMED");
  CHECK_FALSE(broken.status().detail("column").empty());

  std::string deep(100000, '[');
  auto too_deep = parse_json(deep);
  REQUIRE_FALSE(too_deep.is_ok());
  CHECK(reason(too_deep.status()) == "MALFORMED");
  CHECK(too_deep.status().detail("column") == "65");
  // Brackets inside strings do not count.
  CHECK(parse_json("\"" + std::string(1000, '[') + "\"").is_ok());

  auto big = parse_json(std::string(300, ' '), {100, 64});
  REQUIRE_FALSE(big.is_ok());
  CHECK(reason(big.status()) == "TOO_LARGE");
}

TEST_CASE("member readers name the field", "[json]") {
  nlohmann::json object = {{"name", "x"}, {"count", 3}};
  CHECK(*string_member(object, "name") == "x");
  CHECK(*integer_member(object, "count") == 3);
  auto missing = string_member(object, "other");
  REQUIRE_FALSE(missing.is_ok());
  CHECK(missing.status().detail("field") == "other");
  auto wrong_type = string_member(object, "count");
  REQUIRE_FALSE(wrong_type.is_ok());
  CHECK(wrong_type.status().detail("field") == "count");
  CHECK_FALSE(optional_string_member(object, "other")->has_value());
}

TEST_CASE("JWKs round-trip and private or symmetric ones are refused", "[jwk]") {
  for (KeyType type : {KeyType::kEd25519, KeyType::kP256, KeyType::kP384, KeyType::kP521}) {
    SigningKey key = make_key(type);
    auto back = public_key_from_jwk(public_jwk(key.public_key()));
    REQUIRE(back.is_ok());
    CHECK(back->spki_der() == key.public_key().spki_der());
  }
  nlohmann::json jwk = public_jwk(make_key(KeyType::kP256).public_key());
  nlohmann::json with_private = jwk;
  with_private["d"] = "AAAA";
  auto leaked = public_key_from_jwk(with_private);
  REQUIRE_FALSE(leaked.is_ok());
  CHECK(leaked.status().detail("field") == "d");

  auto hmac = public_key_from_jwk({{"kty", "oct"}, {"k", "c2VjcmV0"}});
  REQUIRE_FALSE(hmac.is_ok());
  CHECK(reason(hmac.status()) == "UNSUPPORTED_ALGORITHM");

  nlohmann::json off_curve = jwk;
  off_curve["y"] = off_curve["x"];
  CHECK(reason(public_key_from_jwk(off_curve).status()) == "MALFORMED");

  nlohmann::json wrong_alg = jwk;
  wrong_alg["alg"] = "EdDSA";
  CHECK(reason(public_key_from_jwk(wrong_alg).status()) == "UNSUPPORTED_ALGORITHM");
}

TEST_CASE("a JWS verifies only under the key's own algorithm", "[jws]") {
  SigningKey ed = make_key(KeyType::kEd25519);
  SigningKey p256 = make_key(KeyType::kP256);
  auto token = p256.sign({{"typ", "vc+jwt"}}, R"({"iss":"a"})");
  REQUIRE(token.is_ok());
  auto verified = verify(*token, p256.public_key());
  REQUIRE(verified.is_ok());
  CHECK(verified->payload == R"({"iss":"a"})");
  CHECK(verified->signature.size() == 64);  // raw r||s

  SECTION("alg none") {
    auto none = verify(unsigned_token({{"alg", "none"}}, "{}", ""), p256.public_key());
    // An unsecured JWS (empty signature part) is refused for its algorithm, by name.
    CHECK(reason(none.status()) == "UNSUPPORTED_ALGORITHM");
    auto none_signed = verify(unsigned_token({{"alg", "none"}}, "{}"), p256.public_key());
    CHECK(reason(none_signed.status()) == "UNSUPPORTED_ALGORITHM");
  }
  SECTION("an empty signature under a real algorithm is a bad signature") {
    auto empty = verify(unsigned_token({{"alg", "ES256"}}, "{}", ""), p256.public_key());
    CHECK(reason(empty.status()) == "BAD_SIGNATURE");
  }
  SECTION("HS256 keyed with the public key's bytes (algorithm confusion)") {
    std::string spki = p256.public_key().spki_der();
    std::string input = base64url_encode(R"({"alg":"HS256"})") + "." + base64url_encode("{}");
    unsigned char mac[32];
    unsigned int length = 0;
    HMAC(EVP_sha256(), spki.data(), static_cast<int>(spki.size()),
         reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &length);
    std::string forged =
        input + "." + base64url_encode(std::string(reinterpret_cast<char*>(mac), length));
    CHECK(reason(verify(forged, p256.public_key()).status()) == "UNSUPPORTED_ALGORITHM");
  }
  SECTION("an Ed25519 key under an ES256 header, an EC key under EdDSA") {
    auto es_header = p256.sign({}, "{}");
    CHECK(reason(verify(*es_header, ed.public_key()).status()) == "UNSUPPORTED_ALGORITHM");
    auto ed_token = ed.sign({}, "{}");
    CHECK(reason(verify(*ed_token, p256.public_key()).status()) == "UNSUPPORTED_ALGORITHM");
    CHECK(verify(*ed_token, ed.public_key()).is_ok());
  }
  SECTION("another key's signature, a tampered payload, a short ECDSA signature") {
    SigningKey other = make_key(KeyType::kP256);
    CHECK(reason(verify(*token, other.public_key()).status()) == "BAD_SIGNATURE");
    std::string tampered = *token;
    size_t dot = tampered.find('.');
    tampered.replace(dot + 1, 4, base64url_encode("{\"j"));
    CHECK(reason(verify(tampered, p256.public_key()).status()) == "BAD_SIGNATURE");
    std::string truncated = token->substr(0, token->rfind('.') + 1) + base64url_encode("short");
    CHECK(reason(verify(truncated, p256.public_key()).status()) == "BAD_SIGNATURE");
  }
  SECTION("crit with a parameter not understood") {
    auto critical = p256.sign({{"crit", {"exp"}}, {"exp", 1}}, "{}");
    REQUIRE(critical.is_ok());
    auto result = verify(*critical, p256.public_key());
    CHECK(reason(result.status()) == "MALFORMED");
    CHECK(result.status().detail("field") == "crit");
  }
  SECTION("structure, encoding and size") {
    CHECK(reason(verify("a.b", p256.public_key()).status()) == "MALFORMED");
    CHECK(reason(verify("a.b.c.d", p256.public_key()).status()) == "MALFORMED");
    auto bad_base64 = verify("eyJ$.e30.c2ln", p256.public_key());
    CHECK(reason(bad_base64.status()) == "MALFORMED");
    CHECK(bad_base64.status().detail("column") == "4");
    CHECK(reason(verify(unsigned_token({{"alg", "ES256"}}, "{}").substr(1), p256.public_key())
                     .status()) == "MALFORMED");
    CHECK(reason(verify(base64url_encode("[1]") + ".e30.c2ln", p256.public_key()).status()) ==
          "MALFORMED");
    CHECK(reason(verify(*token, p256.public_key(), 10).status()) == "TOO_LARGE");
  }
}

TEST_CASE("signing keys load from PEM and private JWKs", "[jws]") {
  SigningKey key = make_key(KeyType::kP256);
  auto reloaded = SigningKey::from_pem(key.to_pem());
  REQUIRE(reloaded.is_ok());
  CHECK(reloaded->public_key().spki_der() == key.public_key().spki_der());
  CHECK_FALSE(SigningKey::from_pem("-----BEGIN PRIVATE KEY-----\nAAAA\n").is_ok());

  // RFC 8037 appendix A.1 Ed25519 key.
  nlohmann::json jwk = {{"kty", "OKP"},
                        {"crv", "Ed25519"},
                        {"d", "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"},
                        {"x", "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}};
  auto from_jwk = SigningKey::from_jwk(jwk);
  REQUIRE(from_jwk.is_ok());
  // RFC 8037 A.4: the signature of "Example of Ed25519 signing" under {"alg":"EdDSA"}.
  auto token = from_jwk->sign(nlohmann::json::object(), "Example of Ed25519 signing");
  REQUIRE(token.is_ok());
  CHECK(token->substr(token->rfind('.') + 1) ==
        "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg");
  CHECK(jwk_thumbprint(from_jwk->public_key()) == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
  nlohmann::json mismatched = jwk;
  mismatched["x"] = public_jwk(make_key(KeyType::kEd25519).public_key())["x"];
  CHECK_FALSE(SigningKey::from_jwk(mismatched).is_ok());
}

TEST_CASE("did:key, did:jwk and did:web", "[did]") {
  for (KeyType type : {KeyType::kEd25519, KeyType::kP256}) {
    SigningKey key = make_key(type);
    auto did = did_key_from_public_key(key.public_key());
    REQUIRE(did.is_ok());
    CHECK(did->rfind(type == KeyType::kEd25519 ? "did:key:z6Mk" : "did:key:zDn", 0) == 0);
    auto back = public_key_from_did_key(*did + "#" + did->substr(8));
    REQUIRE(back.is_ok());
    CHECK(back->spki_der() == key.public_key().spki_der());
    auto jwk_did = did_jwk_from_public_key(key.public_key());
    auto from_jwk = public_key_from_did_jwk(jwk_did + "#0");
    REQUIRE(from_jwk.is_ok());
    CHECK(from_jwk->spki_der() == key.public_key().spki_der());
  }
  CHECK(reason(public_key_from_did_key(
                   "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2#other")
                   .status()) == "KEY_NOT_FOUND");
  CHECK_FALSE(did_key_from_public_key(make_key(KeyType::kP384).public_key()).is_ok());

  CHECK(*did_web_document_url("did:web:example.com") == "https://example.com/.well-known/did.json");
  CHECK(*did_web_document_url("did:web:example.com:user:alice") ==
        "https://example.com/user/alice/did.json");
  CHECK(*did_web_document_url("did:web:example.com%3A8443") ==
        "https://example.com:8443/.well-known/did.json");
  CHECK_FALSE(did_web_document_url("did:web:evil.com/x").is_ok());
  CHECK_FALSE(did_web_document_url("did:web:a.com:..:b").is_ok());
  CHECK_FALSE(did_web_document_url("did:web:").is_ok());
}

TEST_CASE("verification methods are found in a DID document that owns them", "[did]") {
  SigningKey key = make_key(KeyType::kEd25519);
  nlohmann::json document = {
      {"id", "did:web:a.example"},
      {"verificationMethod",
       {{{"id", "#key-1"},
         {"type", "JsonWebKey"},
         {"controller", "did:web:a.example"},
         {"publicKeyJwk", public_jwk(key.public_key())}},
        {{"id", "did:web:a.example#key-2"},
         {"type", "Multikey"},
         {"controller", "did:web:a.example"},
         {"publicKeyMultibase", *multikey_from_public_key(key.public_key())}},
        {{"id", "did:web:a.example#stolen"},
         {"controller", "did:web:b.example"},
         {"publicKeyJwk", public_jwk(key.public_key())}}}}};
  auto by_fragment = find_verification_method(document, "did:web:a.example", "key-1");
  REQUIRE(by_fragment.is_ok());
  CHECK(by_fragment->key_id == "did:web:a.example#key-1");
  CHECK(find_verification_method(document, "did:web:a.example", "did:web:a.example#key-2").is_ok());
  CHECK(reason(find_verification_method(document, "did:web:a.example", "#stolen").status()) ==
        "KEY_NOT_FOUND");
  CHECK(reason(find_verification_method(document, "did:web:a.example", "did:web:b.example#key-1")
                   .status()) == "KEY_NOT_FOUND");
  CHECK(reason(find_verification_method(document, "did:web:c.example", "key-1").status()) ==
        "MALFORMED");

  DidKeyResolver resolver;
  std::string did = *did_key_from_public_key(key.public_key());
  CHECK(resolver.resolve({did, "", {}}).is_ok());
  CHECK(resolver.resolve({did, did + "#" + did.substr(8), {}}).is_ok());
  std::string other = *did_key_from_public_key(make_key(KeyType::kEd25519).public_key());
  CHECK(reason(resolver.resolve({did, other, {}}).status()) == "KEY_NOT_FOUND");
  CHECK(reason(resolver.resolve({"https://a.example", "", {}}).status()) == "KEY_NOT_FOUND");
}
