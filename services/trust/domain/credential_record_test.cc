#include "services/trust/domain/credential_record.h"

#include <catch2/catch.hpp>

using mpli::trust::anchors_from_json;
using mpli::trust::AnchorSet;
using mpli::trust::CredentialRecord;
using mpli::trust::CredentialState;
using mpli::trust::fact_changes;
using mpli::trust::FactTriple;
using mpli::trust::judge;

namespace {

AnchorSet anchors() {
  auto set = anchors_from_json(nlohmann::json::parse(
      R"({"anchors": [{"credential_type": "mpli:CertificationCredential",
                       "issuers": ["did:web:auditor.example"]}]})"));
  REQUIRE(set.is_ok());
  return *set;
}

CredentialRecord certification(int64_t valid_until) {
  CredentialRecord r;
  r.issuer = "did:web:auditor.example";
  r.kind = "https://w3id.org/mpli#CertificationCredential";
  r.valid_until = valid_until;
  return r;
}

}  // namespace

TEST_CASE("a credential is judged revoked, expired, untrusted or accepted", "[judge]") {
  const int64_t now = 1'800'000'000;
  CHECK(judge(certification(now + 100), anchors(), now, 60, false).state ==
        CredentialState::kAccepted);
  CHECK(judge(certification(now + 100), anchors(), now, 60, true).state ==
        CredentialState::kRevoked);
  // Within the skew it still counts; beyond it, it has expired.
  CHECK(judge(certification(now - 30), anchors(), now, 60, false).state ==
        CredentialState::kAccepted);
  auto expired = judge(certification(now - 61), anchors(), now, 60, false);
  CHECK(expired.state == CredentialState::kExpired);
  CHECK(expired.refusal == "expired");
  CredentialRecord stranger = certification(now + 100);
  stranger.issuer = "did:web:self-signed.example";
  auto untrusted = judge(stranger, anchors(), now, 60, false);
  CHECK(untrusted.state == CredentialState::kUntrusted);
  CHECK(untrusted.refusal == "untrusted_issuer");
  CHECK(untrusted.detail.find("did:web:self-signed.example") != std::string::npos);
}

TEST_CASE("a credential of no known kind is judged by its own types", "[judge]") {
  auto set = anchors_from_json(nlohmann::json::parse(
      R"({"anchors": [{"credential_type": "https://example.org/Degree", "issuers": ["did:x"]}]})"));
  REQUIRE(set.is_ok());
  CredentialRecord r;
  r.issuer = "did:x";
  r.types = {"VerifiableCredential", "https://example.org/Degree"};
  CHECK(judge(r, *set, 0, 60, false).state == CredentialState::kAccepted);
  r.types = {"VerifiableCredential"};
  CHECK(judge(r, *set, 0, 60, false).state == CredentialState::kUntrusted);
}

TEST_CASE("fact changes say what was gained and lost, per subject", "[facts]") {
  FactTriple a{"urn:p", "urn:cert", "urn:iso", false, ""};
  FactTriple b{"urn:p", "urn:country", "FR", true, ""};
  FactTriple c{"urn:o", "urn:cert", "urn:iso", false, ""};
  auto changes = fact_changes({a, b}, {b, c});
  REQUIRE(changes.size() == 2);
  CHECK(changes[0].subject == "urn:o");
  CHECK(changes[0].added == std::vector<FactTriple>{c});
  CHECK(changes[0].removed.empty());
  CHECK(changes[1].subject == "urn:p");
  CHECK(changes[1].removed == std::vector<FactTriple>{a});
  CHECK(changes[1].added.empty());
  CHECK(fact_changes({a, b}, {b, a}).empty());
}
