#include "libs/credentials/credential_verifier.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "libs/credentials/base64url.h"
#include "libs/credentials/did.h"
#include "libs/credentials/jwk.h"
#include "libs/credentials/jws.h"
#include "libs/credentials/sd_jwt.h"

using namespace mpli::credentials;

namespace {

constexpr int64_t kNow = 1767225600;  // 2026-01-01T00:00:00Z
const std::string kIssuer = "https://issuer.example";

std::string reason(const mpli::Status& status) { return status.detail("reason"); }

SigningKey make_key(KeyType type) {
  auto key = SigningKey::generate(type);
  REQUIRE(key.is_ok());
  return std::move(key).value();
}

nlohmann::json credential_claims() {
  return {{"@context", {"https://www.w3.org/ns/credentials/v2"}},
          {"id", "urn:uuid:1"},
          {"type", {"VerifiableCredential", "ExampleCredential"}},
          {"issuer", kIssuer},
          {"validFrom", "2025-01-01T00:00:00Z"},
          {"credentialSubject", {{"id", "did:example:subject"}, {"name", "Alice"}}}};
}

std::string disclosure(const nlohmann::json& array) { return base64url_encode(array.dump()); }

struct Fixture {
  SigningKey issuer_key = make_key(KeyType::kP256);
  SigningKey holder_key = make_key(KeyType::kEd25519);
  StaticKeyResolver resolver;
  VerifyOptions options;

  Fixture() {
    resolver.add(kIssuer, "", issuer_key.public_key());
    options.now = kNow;
  }
  CredentialVerifier verifier() const { return CredentialVerifier(resolver, options); }

  std::string sign(const nlohmann::json& claims, const std::string& typ = "vc+jwt") const {
    nlohmann::json header = {{"kid", "key-1"}};
    if (!typ.empty()) header["typ"] = typ;
    auto token = issuer_key.sign(header, claims.dump());
    REQUIRE(token.is_ok());
    return *token;
  }

  // An SD-JWT VC whose subject name is selectively disclosable, bound to holder_key.
  std::string sd_jwt(std::string* name_disclosure = nullptr) const {
    std::string name = disclosure({"salt-1", "name", "Alice"});
    std::string tag = disclosure({"salt-2", "Developer"});
    nlohmann::json claims = credential_claims();
    claims["credentialSubject"].erase("name");
    claims["credentialSubject"]["_sd"] = {disclosure_digest(name)};
    claims["credentialSubject"]["tags"] = {{{"...", disclosure_digest(tag)}}, "Tester"};
    claims["_sd_alg"] = "sha-256";
    claims["cnf"] = {{"jwk", public_jwk(holder_key.public_key())}};
    if (name_disclosure) *name_disclosure = name;
    return sign(claims, "dc+sd-jwt") + "~" + name + "~" + tag + "~";
  }

  std::string key_binding(const std::string& presentation, const std::string& nonce,
                          const std::string& audience, int64_t iat,
                          std::string sd_hash = "") const {
    if (sd_hash.empty()) sd_hash = disclosure_digest(presentation);
    nlohmann::json claims = {
        {"nonce", nonce}, {"aud", audience}, {"iat", iat}, {"sd_hash", sd_hash}};
    auto token = holder_key.sign({{"typ", "kb+jwt"}}, claims.dump());
    REQUIRE(token.is_ok());
    return presentation + *token;
  }
};

}  // namespace

TEST_CASE("a vc+jwt verifies and fills every field", "[verifier]") {
  Fixture f;
  nlohmann::json claims = credential_claims();
  claims["validUntil"] = "2027-01-01T00:00:00Z";
  claims["credentialStatus"] = {{"type", "BitstringStatusListEntry"},
                                {"statusPurpose", "revocation"},
                                {"statusListIndex", "94567"},
                                {"statusListCredential", "https://issuer.example/status/3"}};
  auto verified = f.verifier().verify_credential(f.sign(claims));
  REQUIRE(verified.is_ok());
  CHECK(verified->format == "vc+jwt");
  CHECK(verified->id == "urn:uuid:1");
  CHECK(verified->issuer == kIssuer);
  CHECK(verified->types == std::vector<std::string>{"VerifiableCredential", "ExampleCredential"});
  CHECK(verified->subject["name"] == "Alice");
  CHECK(verified->subject_id == "did:example:subject");
  CHECK(verified->valid_from == 1735689600);
  CHECK(verified->valid_until == 1798761600);
  REQUIRE(verified->status.has_value());
  CHECK(verified->status->index == 94567);
  CHECK(verified->status->purpose == "revocation");
  CHECK(verified->algorithm == "ES256");
  CHECK(verified->key_id == "key-1");
}

TEST_CASE("the format is decided by typ, and claims must fit it", "[verifier]") {
  Fixture f;
  CHECK(reason(f.verifier().verify_credential(f.sign(credential_claims(), "bad+typ")).status()) ==
        "BAD_MEDIA_TYPE");
  CHECK(reason(f.verifier().verify_credential(f.sign(credential_claims(), "vp+jwt")).status()) ==
        "BAD_MEDIA_TYPE");
  nlohmann::json with_vc = credential_claims();
  with_vc["vc"] = "oops";
  CHECK(reason(f.verifier().verify_credential(f.sign(with_vc)).status()) == "MALFORMED");
  CHECK(f.verifier().verify_credential(f.sign(credential_claims(), "vc+ld+json+jwt")).is_ok());

  // jwt_vc_json (DOME): registered claims around a vc object.
  nlohmann::json legacy = {
      {"iss", kIssuer},
      {"sub", "did:example:subject"},
      {"jti", "urn:uuid:2"},
      {"nbf", kNow - 10},
      {"exp", kNow + 3600},
      {"vc", {{"type", {"VerifiableCredential"}}, {"credentialSubject", {{"role", "admin"}}}}}};
  auto verified = f.verifier().verify_credential(f.sign(legacy, "JWT"));
  REQUIRE(verified.is_ok());
  CHECK(verified->format == "jwt_vc_json");
  CHECK(verified->id == "urn:uuid:2");
  CHECK(verified->subject_id == "did:example:subject");
  CHECK(verified->valid_until == kNow + 3600);
  legacy.erase("vc");
  CHECK(reason(f.verifier().verify_credential(f.sign(legacy, "")).status()) == "MALFORMED");

  nlohmann::json other_issuer = credential_claims();
  other_issuer["iss"] = "https://other.example";
  CHECK(reason(f.verifier().verify_credential(f.sign(other_issuer)).status()) == "MALFORMED");
}

TEST_CASE("signatures and keys", "[verifier]") {
  Fixture f;
  std::string token = f.sign(credential_claims());
  std::string tampered = token;
  tampered[token.find('.') + 5] ^= 1;
  auto result = f.verifier().verify_credential(tampered);
  CHECK((reason(result.status()) == "BAD_SIGNATURE" || reason(result.status()) == "MALFORMED"));
  std::string bad_signature =
      token.substr(0, token.rfind('.') + 1) + base64url_encode(std::string(64, '\x01'));
  CHECK(reason(f.verifier().verify_credential(bad_signature).status()) == "BAD_SIGNATURE");
  nlohmann::json unknown = credential_claims();
  unknown["issuer"] = "https://unknown.example";
  CHECK(reason(f.verifier().verify_credential(f.sign(unknown)).status()) == "KEY_NOT_FOUND");
  CHECK(reason(f.verifier().verify_credential("not a token").status()) == "MALFORMED");
  CHECK(reason(
            f.verifier().verify_credential(base64url_encode("{\"alg\":") + ".e30.c2ln").status()) ==
        "MALFORMED");
  std::string deep = std::string(200, '[') + std::string(200, ']');
  CHECK(reason(f.verifier()
                   .verify_credential(base64url_encode(R"({"alg":"ES256"})") + "." +
                                      base64url_encode(deep) + ".c2ln")
                   .status()) == "MALFORMED");
  f.options.max_token_bytes = 100;
  CHECK(reason(f.verifier().verify_credential(token).status()) == "TOO_LARGE");
}

TEST_CASE("did:key issuers resolve without configuration", "[verifier]") {
  SigningKey key = make_key(KeyType::kEd25519);
  std::string did = *did_key_from_public_key(key.public_key());
  nlohmann::json claims = credential_claims();
  claims["issuer"] = did;
  auto token = key.sign({{"typ", "vc+jwt"}, {"kid", did + "#" + did.substr(8)}}, claims.dump());
  DidKeyResolver resolver;
  VerifyOptions options;
  options.now = kNow;
  auto verified = CredentialVerifier(resolver, options).verify_credential(*token);
  REQUIRE(verified.is_ok());
  CHECK(verified->key_id == did + "#" + did.substr(8));
  CHECK(verified->algorithm == "EdDSA");
}

TEST_CASE("validity respects the clock skew both ways", "[verifier]") {
  Fixture f;
  auto at = [&](const char* from, const char* until) {
    nlohmann::json claims = credential_claims();
    claims["validFrom"] = from;
    claims["validUntil"] = until;
    return f.verifier().verify_credential(f.sign(claims));
  };
  // kNow is 2026-01-01T00:00:00Z; the skew is 60 s.
  CHECK(at("2026-01-01T00:00:30Z", "2027-01-01T00:00:00Z").is_ok());
  CHECK(reason(at("2026-01-01T00:01:31Z", "2027-01-01T00:00:00Z").status()) == "NOT_YET_VALID");
  CHECK(at("2025-01-01T00:00:00Z", "2025-12-31T23:59:30Z").is_ok());
  CHECK(reason(at("2025-01-01T00:00:00Z", "2025-12-31T23:58:29Z").status()) == "EXPIRED");
  CHECK(reason(at("2025-01-01T00:00:00+02:00", "2025-12-31T23:58:29-00:00").status()) == "EXPIRED");
  CHECK(reason(at("yesterday", "2027-01-01T00:00:00Z").status()) == "MALFORMED");
  nlohmann::json claims = credential_claims();
  claims.erase("validFrom");
  claims["exp"] = kNow - 61;
  CHECK(reason(f.verifier().verify_credential(f.sign(claims)).status()) == "EXPIRED");
  claims["exp"] = kNow - 59;
  CHECK(f.verifier().verify_credential(f.sign(claims)).is_ok());
  claims["nbf"] = kNow + 61;
  CHECK(reason(f.verifier().verify_credential(f.sign(claims)).status()) == "NOT_YET_VALID");
}

TEST_CASE("SD-JWT VC disclosures are checked against the signed digests", "[sd-jwt]") {
  Fixture f;
  std::string name;
  std::string token = f.sd_jwt(&name);
  auto verified = f.verifier().verify_credential(token);
  REQUIRE(verified.is_ok());
  CHECK(verified->format == "dc+sd-jwt");
  CHECK(verified->subject["name"] == "Alice");
  CHECK(verified->subject["tags"] == nlohmann::json({"Developer", "Tester"}));
  CHECK_FALSE(verified->credential.contains("_sd_alg"));

  SECTION("withheld disclosures vanish") {
    std::string issuer_jwt = token.substr(0, token.find('~'));
    auto partial = f.verifier().verify_credential(issuer_jwt + "~");
    REQUIRE(partial.is_ok());
    CHECK_FALSE(partial->subject.contains("name"));
    CHECK(partial->subject["tags"] == nlohmann::json({"Tester"}));
  }
  SECTION("a tampered disclosure is referenced by no digest") {
    std::string tampered = token;
    std::string changed = disclosure({"salt-1", "name", "Mallory"});
    tampered.replace(tampered.find(name), name.size(), changed);
    CHECK(reason(f.verifier().verify_credential(tampered).status()) == "BAD_DISCLOSURE");
  }
  SECTION("an extra, unreferenced disclosure") {
    std::string extra = token + disclosure({"salt-9", "admin", true}) + "~";
    CHECK(reason(f.verifier().verify_credential(extra).status()) == "BAD_DISCLOSURE");
  }
  SECTION("the same disclosure twice") {
    CHECK(reason(f.verifier().verify_credential(token + name + "~").status()) == "BAD_DISCLOSURE");
  }
  SECTION("malformed disclosures") {
    std::string issuer_jwt = token.substr(0, token.find('~'));
    CHECK(reason(f.verifier().verify_credential(issuer_jwt + "~!!~").status()) == "BAD_DISCLOSURE");
    CHECK(reason(f.verifier()
                     .verify_credential(issuer_jwt + "~" + disclosure({1, 2, 3, 4}) + "~")
                     .status()) == "BAD_DISCLOSURE");
    CHECK(reason(f.verifier().verify_credential(issuer_jwt + "~~").status()) == "BAD_DISCLOSURE");
  }
  SECTION("typ must be an SD-JWT credential's") {
    nlohmann::json claims = credential_claims();
    std::string as_jwt = f.sign(claims, "vc+jwt") + "~";
    CHECK(reason(f.verifier().verify_credential(as_jwt).status()) == "BAD_MEDIA_TYPE");
  }
}

TEST_CASE("reconstruction refuses overwrites, reserved names and repeated digests", "[sd-jwt]") {
  std::string name = disclosure({"s", "name", "Eve"});
  nlohmann::json overwrite = {{"name", "Alice"}, {"_sd", {disclosure_digest(name)}}};
  CHECK(reason(reconstruct_claims(overwrite, {name}).status()) == "BAD_DISCLOSURE");
  std::string reserved = disclosure({"s", "_sd", "x"});
  CHECK(reason(reconstruct_claims({{"_sd", {disclosure_digest(reserved)}}}, {reserved}).status()) ==
        "BAD_DISCLOSURE");
  std::string ellipsis = disclosure({"s", "...", "x"});
  CHECK(reason(reconstruct_claims({{"_sd", {disclosure_digest(ellipsis)}}}, {ellipsis}).status()) ==
        "BAD_DISCLOSURE");
  nlohmann::json twice = {{"_sd", {disclosure_digest(name)}},
                          {"inner", {{"_sd", {disclosure_digest(name)}}}}};
  CHECK(reason(reconstruct_claims(twice, {name}).status()) == "BAD_DISCLOSURE");
  std::string element = disclosure({"s", "x"});
  CHECK(reason(reconstruct_claims({{"_sd", {disclosure_digest(element)}}}, {element}).status()) ==
        "BAD_DISCLOSURE");
  CHECK(reason(reconstruct_claims({{"_sd_alg", "sha-512"}}, {}).status()) ==
        "UNSUPPORTED_ALGORITHM");
}

TEST_CASE("key binding: nonce, audience, freshness and sd_hash", "[sd-jwt]") {
  Fixture f;
  f.options.expected_nonce = "n-123";
  f.options.expected_audience = "https://verifier.example";
  std::string presentation = f.sd_jwt();
  auto verify = [&](const std::string& token) { return f.verifier().verify_credential(token); };

  CHECK(verify(f.key_binding(presentation, "n-123", "https://verifier.example", kNow)).is_ok());
  CHECK(reason(verify(presentation).status()) == "BAD_KEY_BINDING");
  CHECK(reason(verify(f.key_binding(presentation, "n-999", "https://verifier.example", kNow))
                   .status()) == "BAD_KEY_BINDING");
  CHECK(reason(verify(f.key_binding(presentation, "n-123", "https://elsewhere.example", kNow))
                   .status()) == "BAD_KEY_BINDING");
  CHECK(reason(verify(f.key_binding(presentation, "n-123", "https://verifier.example", kNow,
                                    disclosure_digest("another presentation~")))
                   .status()) == "BAD_KEY_BINDING");
  CHECK(reason(verify(f.key_binding(presentation, "n-123", "https://verifier.example", kNow + 120))
                   .status()) == "BAD_KEY_BINDING");
  CHECK(reason(verify(f.key_binding(presentation, "n-123", "https://verifier.example", kNow - 3600))
                   .status()) == "BAD_KEY_BINDING");
  // A KB-JWT signed by someone else than the cnf key.
  Fixture other;
  std::string foreign = other.key_binding(presentation, "n-123", "https://verifier.example", kNow);
  CHECK(reason(verify(foreign).status()) == "BAD_KEY_BINDING");
  // sd_hash covers the disclosures: dropping one after binding breaks it.
  std::string bound = f.key_binding(presentation, "n-123", "https://verifier.example", kNow);
  std::string kb = bound.substr(bound.rfind('~') + 1);
  std::string fewer = presentation.substr(0, presentation.find('~') + 1) + kb;
  CHECK(reason(verify(fewer).status()) == "BAD_KEY_BINDING");
}

TEST_CASE("presentations verify their holder and every enveloped credential", "[verifier]") {
  Fixture f;
  std::string credential = f.sign(credential_claims());
  std::string sd_credential = f.sd_jwt();
  nlohmann::json vp = {{"@context", {"https://www.w3.org/ns/credentials/v2"}},
                       {"type", "VerifiablePresentation"},
                       {"iss", kIssuer},
                       {"iat", kNow},
                       {"exp", kNow + 600},
                       {"verifiableCredential",
                        {{{"type", "EnvelopedVerifiableCredential"},
                          {"id", "data:application/vc+jwt," + credential}},
                         {{"type", "EnvelopedVerifiableCredential"},
                          {"id", "data:application/vc+sd-jwt," + sd_credential}}}}};
  auto verified = f.verifier().verify_presentation(f.sign(vp, "vp+jwt"));
  REQUIRE(verified.is_ok());
  REQUIRE(verified->size() == 2);
  CHECK((*verified)[1].subject["name"] == "Alice");

  CHECK(reason(f.verifier().verify_presentation(f.sign(vp, "vc+jwt")).status()) ==
        "BAD_MEDIA_TYPE");
  nlohmann::json expired = vp;
  expired["exp"] = kNow - 3600;
  CHECK(reason(f.verifier().verify_presentation(f.sign(expired, "vp+jwt")).status()) == "EXPIRED");

  nlohmann::json cose = vp;
  cose["verifiableCredential"][0]["id"] = "data:application/vc+cose;base64,AAAA";
  // vc+cose is verified by the built-in COSE verifier: these bytes are no COSE_Sign1.
  CHECK(reason(f.verifier().verify_presentation(f.sign(cose, "vp+jwt")).status()) == "MALFORMED");
  nlohmann::json unknown = vp;
  unknown["verifiableCredential"][0]["id"] = "data:application/vc+cbor;base64,AAAA";
  CHECK(reason(f.verifier().verify_presentation(f.sign(unknown, "vp+jwt")).status()) ==
        "UNSUPPORTED_FORMAT");
  CredentialVerifier with_cose = f.verifier();
  bool called = false;
  with_cose.add_envelope_format(
      "application/vc+cose",
      [&](std::string_view content, bool base64) -> mpli::Result<VerifiedCredential> {
        called = content == "AAAA" && base64;
        return VerifiedCredential{};
      });
  CHECK(with_cose.verify_presentation(f.sign(cose, "vp+jwt")).is_ok());
  CHECK(called);

  nlohmann::json unsecured = vp;
  unsecured["verifiableCredential"][0] = credential_claims();
  CHECK(reason(f.verifier().verify_presentation(f.sign(unsecured, "vp+jwt")).status()) ==
        "MALFORMED");
  nlohmann::json bad_inner = vp;
  bad_inner["verifiableCredential"][0]["id"] = "data:application/vc+jwt," +
                                               credential.substr(0, credential.rfind('.') + 1) +
                                               base64url_encode(std::string(64, '\x02'));
  CHECK(reason(f.verifier().verify_presentation(f.sign(bad_inner, "vp+jwt")).status()) ==
        "BAD_SIGNATURE");
}
