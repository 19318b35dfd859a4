#include "services/trust/domain/fact_mapping.h"

#include <catch2/catch.hpp>

#include "services/trust/domain/vocabulary.h"

using mpli::credentials::VerifiedCredential;
using mpli::trust::ClaimContext;
using mpli::trust::FactTriple;
using mpli::trust::identifies;
using mpli::trust::read_facts;
namespace vocab = mpli::trust::vocab;

namespace {

VerifiedCredential credential(std::vector<std::string> types, nlohmann::json subject) {
  VerifiedCredential c;
  c.issuer = "did:key:z6MkIssuer";
  c.types = std::move(types);
  c.subject = std::move(subject);
  if (c.subject.contains("id")) c.subject_id = c.subject["id"].get<std::string>();
  c.credential = {{"credentialSubject", c.subject}};
  return c;
}

bool has_fact(const std::vector<FactTriple>& facts, const std::string& s, const std::string& p,
              const std::string& o) {
  for (const auto& f : facts) {
    if (f.subject == s && f.predicate == p && f.object == o) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("a Gaia-X legal person gives a legal identity and its country", "[facts]") {
  auto c = credential(
      {"VerifiableCredential", "gx:LegalPerson"},
      {{"id", "did:web:nordwolke.example"}, {"gx:legalAddress", {{"gx:countryCode", "DE"}}}});
  auto reading = read_facts(c, nullptr);
  REQUIRE(reading.is_ok());
  CHECK(reading->kind == vocab::kLegalIdentityCredential);
  CHECK(has_fact(reading->facts, "did:web:nordwolke.example", vocab::kVerifiedCredentialType,
                 vocab::kLegalIdentityCredential));
  CHECK(has_fact(reading->facts, "did:web:nordwolke.example", vocab::kVerifiedCountry, "DE"));
}

TEST_CASE("a subdivision code gives its country", "[facts]") {
  auto c =
      credential({"gx:LegalPerson"},
                 {{"id", "urn:x"}, {"gx:legalAddress", {{"gx:countrySubdivisionCode", "FR-75"}}}});
  auto reading = read_facts(c, nullptr);
  REQUIRE(reading.is_ok());
  CHECK(has_fact(reading->facts, "urn:x", vocab::kVerifiedCountry, "FR"));
}

TEST_CASE("a legal identity without a country is malformed, naming the field", "[facts]") {
  auto c = credential({"LegalIdentityCredential"}, {{"id", "urn:x"}});
  auto reading = read_facts(c, nullptr);
  REQUIRE_FALSE(reading.is_ok());
  CHECK(reading.status().detail("reason") == "MALFORMED");
  CHECK(reading.status().detail("field").find("countryCode") != std::string::npos);
}

TEST_CASE("a DOME LEAR credential is about the organisation that mandates", "[facts]") {
  auto c = credential(
      {"VerifiableCredential", "LEARCredentialEmployee"},
      {{"id", "did:key:z6MkEmployee"},
       {"mandate",
        {{"mandatee", {{"id", "did:key:z6MkEmployee"}}},
         {"mandator", {{"organizationIdentifier", "VATES-B12345678"}, {"country", "ES"}}}}}});
  auto reading = read_facts(c, nullptr);
  REQUIRE(reading.is_ok());
  CHECK(reading->subject == "did:elsi:VATES-B12345678");
  CHECK(has_fact(reading->facts, "did:elsi:VATES-B12345678", vocab::kVerifiedCountry, "ES"));
}

TEST_CASE("a certification credential certifies the provider and the offerings it covers",
          "[facts]") {
  auto c = credential({"VerifiableCredential", "CertificationCredential"},
                      {{"id", "did:web:hexacloud.example"},
                       {"standard", "mpli:ISO27001"},
                       {"covers", {"https://hexacloud.example/o#pg"}}});
  ClaimContext claim{"https://hexacloud.example/m#provider", "hexacloud.example", "certification",
                     "https://w3id.org/mpli#ISO27001", std::nullopt};
  auto reading = read_facts(c, &claim);
  REQUIRE(reading.is_ok());
  CHECK(reading->subject == "https://hexacloud.example/m#provider");
  CHECK(has_fact(reading->facts, "https://hexacloud.example/m#provider",
                 vocab::kVerifiedCertification, "https://w3id.org/mpli#ISO27001"));
  CHECK(has_fact(reading->facts, "https://hexacloud.example/o#pg", vocab::kVerifiedCertification,
                 "https://w3id.org/mpli#ISO27001"));
}

TEST_CASE("standards are an open set: any IRI is kept as it is", "[facts]") {
  auto c = credential({"CertificationCredential"},
                      {{"id", "urn:p"}, {"standard", "https://example.org/schemes/TISAX"}});
  auto reading = read_facts(c, nullptr);
  REQUIRE(reading.is_ok());
  CHECK(has_fact(reading->facts, "urn:p", vocab::kVerifiedCertification,
                 "https://example.org/schemes/TISAX"));
}

TEST_CASE("a certificate of another provider proves nothing for this claim", "[facts]") {
  auto c = credential({"CertificationCredential"},
                      {{"id", "did:web:other.example"}, {"standard", "mpli:ISO27001"}});
  ClaimContext claim{"https://hexacloud.example/m#provider", "hexacloud.example", "certification",
                     "https://w3id.org/mpli#ISO27001", std::nullopt};
  auto reading = read_facts(c, &claim);
  REQUIRE_FALSE(reading.is_ok());
  CHECK(reading.status().detail("reason") == "SUBJECT_MISMATCH");
}

TEST_CASE("a certificate of another standard does not prove the claimed one", "[facts]") {
  auto c = credential({"CertificationCredential"},
                      {{"id", "did:web:hexacloud.example"}, {"standard", "mpli:ISO27017"}});
  ClaimContext claim{"https://hexacloud.example/m#provider", "hexacloud.example", "certification",
                     "https://w3id.org/mpli#ISO27001", std::nullopt};
  auto reading = read_facts(c, &claim);
  REQUIRE_FALSE(reading.is_ok());
  CHECK(reading.status().detail("reason") == "SUBJECT_MISMATCH");
}

TEST_CASE("a service level credential verifies the availability it attests", "[facts]") {
  auto c = credential({"ServiceLevelCredential"},
                      {{"id", "https://hexacloud.example/o#pg"}, {"availabilityPercent", 99.95}});
  ClaimContext claim{"https://hexacloud.example/o#pg", "hexacloud.example", "service_level", "",
                     99.95};
  auto reading = read_facts(c, &claim);
  REQUIRE(reading.is_ok());
  CHECK(has_fact(reading->facts, "https://hexacloud.example/o#pg",
                 vocab::kVerifiedAvailabilityPercent, "99.95"));
  ClaimContext greedy = claim;
  greedy.availability_percent = 99.99;
  auto refused = read_facts(c, &greedy);
  REQUIRE_FALSE(refused.is_ok());
  CHECK(refused.status().detail("reason") == "SUBJECT_MISMATCH");
}

TEST_CASE("a credential of no known kind gives no facts", "[facts]") {
  auto c = credential({"VerifiableCredential", "ExampleDegreeCredential"}, {{"id", "urn:s"}});
  auto reading = read_facts(c, nullptr);
  REQUIRE(reading.is_ok());
  CHECK(reading->kind.empty());
  CHECK(reading->facts.empty());
}

TEST_CASE("a provider is named by its IRI, its did:web and its https origin", "[facts]") {
  std::string provider = "https://hexacloud.example/m#provider";
  CHECK(identifies(provider, provider, "hexacloud.example"));
  CHECK(identifies("did:web:hexacloud.example", provider, "hexacloud.example"));
  CHECK(identifies("did:web:hexacloud.example:legal", provider, "hexacloud.example"));
  CHECK(identifies("https://hexacloud.example/legal.json#cs", provider, "hexacloud.example"));
  CHECK(identifies("did:web:127.0.0.1%3A8081", provider, "127.0.0.1:8081"));
  CHECK_FALSE(identifies("did:web:hexacloud.example.evil", provider, "hexacloud.example"));
  CHECK_FALSE(identifies("https://hexacloud.example.evil/x", provider, "hexacloud.example"));
  CHECK_FALSE(identifies("did:web:other.example", provider, "hexacloud.example"));
  CHECK_FALSE(identifies("did:web:hexacloud.example", provider, ""));
  CHECK_FALSE(identifies("", provider, "hexacloud.example"));
}
