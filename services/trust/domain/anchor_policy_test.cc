#include "services/trust/domain/anchor_policy.h"

#include <catch2/catch.hpp>

using mpli::trust::anchors_from_json;
using mpli::trust::anchors_to_json;

TEST_CASE("anchors accept the issuers they list, per credential type", "[anchors]") {
  auto set = anchors_from_json(nlohmann::json::parse(R"({"anchors": [
      {"credential_type": "mpli:CertificationCredential", "issuers": ["did:web:auditor.example"]},
      {"credential_type": "*", "issuers": ["did:key:z6MkHub"]}]})"));
  REQUIRE(set.is_ok());
  std::string certification = "https://w3id.org/mpli#CertificationCredential";
  std::string identity = "https://w3id.org/mpli#LegalIdentityCredential";
  CHECK(set->accepts(certification, "did:web:auditor.example", ""));
  CHECK_FALSE(set->accepts(identity, "did:web:auditor.example", ""));
  CHECK(set->accepts(identity, "did:key:z6MkHub", ""));
  CHECK_FALSE(set->accepts(certification, "did:web:someone.example", ""));
}

TEST_CASE("anchors accept a chain by the fingerprint of its root", "[anchors]") {
  auto set = anchors_from_json(nlohmann::json::parse(R"({"anchors": [
      {"credential_type": "mpli:LegalIdentityCredential", "root_certificates": ["PEM"]}]})"));
  REQUIRE(set.is_ok());
  set->anchors[0].root_fingerprints = {"abc123"};
  CHECK(set->accepts("https://w3id.org/mpli#LegalIdentityCredential", "did:web:x", "abc123"));
  CHECK_FALSE(set->accepts("https://w3id.org/mpli#LegalIdentityCredential", "did:web:x", "zz"));
  CHECK_FALSE(set->accepts("https://w3id.org/mpli#LegalIdentityCredential", "did:web:x", ""));
  CHECK(set->all_root_certificates() == std::vector<std::string>{"PEM"});
}

TEST_CASE("a bad anchor document is refused, naming the field", "[anchors]") {
  auto field_of = [](const char* text) {
    auto set = anchors_from_json(nlohmann::json::parse(text));
    REQUIRE_FALSE(set.is_ok());
    CHECK(set.status().detail("reason") == "BAD_ANCHORS");
    return set.status().detail("field");
  };
  CHECK(field_of(R"([])") == "anchors");
  CHECK(field_of(R"({"anchors": {}})") == "anchors");
  CHECK(field_of(R"({"anchors": [{"issuers": ["x"]}]})") == "anchors[0].credential_type");
  CHECK(field_of(R"({"anchors": [{"credential_type": "*", "issuers": [""]}]})") ==
        "anchors[0].issuers[0]");
  CHECK(field_of(R"({"anchors": [{"credential_type": "*", "issuers": "x"}]})") ==
        "anchors[0].issuers");
  CHECK(field_of(R"({"anchors": [{"credential_type": "*"}]})") == "anchors[0]");
}

TEST_CASE("anchors round-trip through JSON", "[anchors]") {
  auto set = anchors_from_json(nlohmann::json::parse(R"({"anchors": [
      {"credential_type": "*", "issuers": ["did:key:z6MkHub"], "label": "hub"}]})"));
  REQUIRE(set.is_ok());
  set->version = 7;
  auto again = anchors_from_json(anchors_to_json(*set));
  REQUIRE(again.is_ok());
  CHECK(again->anchors[0].issuers == set->anchors[0].issuers);
  CHECK(again->anchors[0].label == "hub");
  CHECK(anchors_to_json(*set)["version"] == 7);
}
