#include "libs/credentials/credential_issuer.h"

#include <catch2/catch.hpp>

#include "libs/credentials/credential_verifier.h"
#include "libs/credentials/did.h"

using namespace mpli::credentials;

TEST_CASE("an issued vc+jwt verifies and carries what the issuer set", "[issuer]") {
  auto key = SigningKey::generate(KeyType::kEd25519);
  REQUIRE(key.is_ok());
  auto did = did_key_from_public_key(key->public_key());
  REQUIRE(did.is_ok());
  std::string kid = *did + "#" + did->substr(8);
  const int64_t now = 1'800'000'000;
  auto token = issue_vc_jwt(*key, *did, kid,
                            {{"type", {"VerifiableCredential", "CertificationCredential"}},
                             {"credentialSubject", {{"id", "did:web:a.example"}}}},
                            now);
  REQUIRE(token.is_ok());
  DidKeyResolver resolver;
  VerifyOptions options;
  options.now = now + 10;
  auto verified = CredentialVerifier(resolver, options).verify_credential(*token);
  INFO(verified.status().message());
  REQUIRE(verified.is_ok());
  CHECK(verified->format == "vc+jwt");
  CHECK(verified->issuer == *did);
  CHECK(verified->subject_id == "did:web:a.example");
  CHECK(verified->valid_from == now);
  CHECK(xml_datetime(now) == "2027-01-15T08:00:00Z");
}

TEST_CASE("the issuer refuses a credential that names someone else as issuer", "[issuer]") {
  auto key = SigningKey::generate(KeyType::kP256);
  REQUIRE(key.is_ok());
  auto token = issue_vc_jwt(*key, "did:key:zA", "did:key:zA#zA",
                            {{"issuer", "did:key:zB"}, {"credentialSubject", {{"id", "x"}}}}, 0);
  REQUIRE_FALSE(token.is_ok());
  CHECK(token.status().detail("field") == "credential.issuer");
  CHECK_FALSE(issue_vc_jwt(*key, "did:key:zA", "k", nlohmann::json::array(), 0).is_ok());
}
