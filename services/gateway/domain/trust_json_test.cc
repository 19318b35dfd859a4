#include "services/gateway/domain/trust_json.h"

#include <catch2/catch.hpp>

using namespace mpli;
using namespace mpli::gateway;
using nlohmann::json;
namespace v1 = mpli::trust::v1;

TEST_CASE("raw credential content types give trust's media type hint") {
  CHECK(credential_media_type_hint("application/vc+jwt") == "vc+jwt");
  CHECK(credential_media_type_hint("application/vp+jwt") == "vp+jwt");
  CHECK(credential_media_type_hint("application/vc+ld+json+jwt") == "vc+ld+json+jwt");
  CHECK(credential_media_type_hint("application/dc+sd-jwt") == "dc+sd-jwt");
  CHECK(credential_media_type_hint("application/vc+sd-jwt") == "vc+sd-jwt");
  CHECK(credential_media_type_hint("application/jwt") == "");  // a JWT, no hint
  CHECK_FALSE(credential_media_type_hint("text/plain"));
  CHECK_FALSE(credential_media_type_hint("application/json"));
  CHECK_FALSE(credential_media_type_hint(""));
}

TEST_CASE("a JSON credential body becomes a submit request from a consumer") {
  auto request = submit_request_from_json(
      R"({"credential": " eyJ.a.b\n", "media_type": "application/dc+sd-jwt",
          "expected_subject": "did:web:p.example", "nonce": "n-1", "audience": "hub"})");
  REQUIRE(request.is_ok());
  CHECK(request->token() == "eyJ.a.b");
  CHECK(request->media_type() == "dc+sd-jwt");  // the long form read as the short one
  CHECK(request->expected_subject() == "did:web:p.example");
  CHECK(request->nonce() == "n-1");
  CHECK(request->audience() == "hub");
  CHECK(request->source() == "consumer");
}

TEST_CASE("a bad credential body is refused naming the field") {
  auto field_of = [](std::string_view body) {
    auto request = submit_request_from_json(body);
    REQUIRE_FALSE(request.is_ok());
    CHECK(request.status().code() == StatusCode::kInvalidArgument);
    return request.status().detail("field");
  };
  CHECK(field_of("") == "body");
  CHECK(field_of("{") == "body");
  CHECK(field_of("[1]") == "body");
  CHECK(field_of("{}") == "credential");
  CHECK(field_of(R"({"credential": ""})") == "credential");
  CHECK(field_of(R"({"credential": "  "})") == "credential");
  CHECK(field_of(R"({"credential": 5})") == "credential");
  CHECK(field_of(R"({"credential": "t", "nonce": 1})") == "nonce");
  CHECK(field_of(R"({"credential": "t", "expected_subjct": "x"})") == "expected_subjct");
}

TEST_CASE("a raw token body is trimmed and must not be empty") {
  auto request = submit_request_from_token("eyJ.a.b~d1~\r\n", "dc+sd-jwt");
  REQUIRE(request.is_ok());
  CHECK(request->token() == "eyJ.a.b~d1~");
  CHECK(request->media_type() == "dc+sd-jwt");
  CHECK(request->source() == "consumer");
  auto empty = submit_request_from_token(" \n", "vc+jwt");
  REQUIRE_FALSE(empty.is_ok());
  CHECK(empty.status().detail("field") == "body");
}

TEST_CASE("listing credentials needs a subject, and limit is 1..500") {
  auto list = list_credentials_request({{"subject", "did:web:p.example"}, {"limit", "20"}});
  REQUIRE(list.is_ok());
  CHECK(list->subject() == "did:web:p.example");
  CHECK(list->limit() == 20);
  CHECK(list_credentials_request({}).status().detail("field") == "subject");
  CHECK(list_credentials_request({{"subject", ""}}).status().detail("field") == "subject");
  for (const char* limit : {"0", "501", "x", "-1", ""}) {
    INFO(limit);
    CHECK(list_credentials_request({{"subject", "s"}, {"limit", limit}}).status().detail("field") ==
          "limit");
  }
  CHECK(list_credentials_request({{"subject", "s"}, {"subjet", "t"}}).status().detail("field") ==
        "subjet");
  CHECK(get_facts_request({{"subject", "s"}})->subject() == "s");
  CHECK(get_facts_request({}).status().detail("field") == "subject");
}

TEST_CASE("trust anchors from JSON, the expected version from the body or If-Match") {
  const std::string body = R"({"anchors": [{"credential_type": "https://w3id.org/mpli#Cert",
      "issuers": ["did:web:issuer.example"], "root_certificates": ["-----BEGIN CERTIFICATE-----"],
      "label": "cert bodies"}], "expected_version": 3})";
  auto put = put_anchors_request(body, "");
  REQUIRE(put.is_ok());
  REQUIRE(put->anchors().anchors_size() == 1);
  const auto& anchor = put->anchors().anchors(0);
  CHECK(anchor.credential_type() == "https://w3id.org/mpli#Cert");
  CHECK(anchor.issuers(0) == "did:web:issuer.example");
  CHECK(anchor.root_certificates(0) == "-----BEGIN CERTIFICATE-----");
  CHECK(anchor.label() == "cert bodies");
  CHECK(put->expected_version() == 3);

  CHECK(put_anchors_request(body, "\"3\"")->expected_version() == 3);
  CHECK(put_anchors_request(body, "\"4\"").status().detail("field") == "If-Match");
  CHECK(put_anchors_request(R"({"anchors": []})", "\"7\"")->expected_version() == 7);
  CHECK(put_anchors_request(R"({"anchors": []})", "*")->expected_version() == 0);
  CHECK(put_anchors_request(R"({"anchors": []})", "")->expected_version() == 0);
  CHECK(put_anchors_request(R"({"anchors": []})", "W/\"7\"").status().detail("field") ==
        "If-Match");
}

TEST_CASE("bad trust anchors are refused naming the anchor and its field") {
  auto field_of = [](std::string_view body) {
    return put_anchors_request(body, "").status().detail("field");
  };
  CHECK(field_of("{}") == "anchors");
  CHECK(field_of(R"({"anchors": {}})") == "anchors");
  CHECK(field_of(R"({"anchors": [{"issuers": ["did:x"]}]})") == "anchors[0].credential_type");
  CHECK(field_of(R"({"anchors": [{"credential_type": "t", "issuers": "did:x"}]})") ==
        "anchors[0].issuers");
  CHECK(field_of(R"({"anchors": [{"credential_type": "t", "issuers": ["did:x", 1]}]})") ==
        "anchors[0].issuers[1]");
  CHECK(field_of(R"({"anchors": [{"credential_type": "t"}]})") == "anchors[0]");
  CHECK(field_of(R"({"anchors": [{"credential_type": "t", "issuers": ["d"], "lable": "x"}]})") ==
        "anchors[0].lable");
  CHECK(field_of(R"({"anchors": [], "expected_version": -1})") == "expected_version");
  CHECK(field_of(R"({"anchors": [], "expected_version": "3"})") == "expected_version");
}

TEST_CASE("an issue request is the credential object as sent, valid_until checked for shape") {
  const std::string credential = R"({"type": ["VerifiableCredential"], "credentialSubject": {}})";
  auto issue = issue_request(credential, {{"valid_until", "2027-01-31T00:00:00Z"}});
  REQUIRE(issue.is_ok());
  CHECK(issue->credential_json() == credential);
  CHECK(issue->valid_until() == "2027-01-31T00:00:00Z");
  CHECK(issue_request(credential, {{"valid_until", "2027-01-31T00:00:00.5+02:00"}}).is_ok());
  CHECK(issue_request(credential, {{"valid_until", "2027-01-31"}}).status().detail("field") ==
        "valid_until");
  CHECK(issue_request(credential, {{"expires", "x"}}).status().detail("field") == "expires");
  CHECK(issue_request("[]", {}).status().detail("field") == "body");
  CHECK(issue_request("", {}).status().detail("field") == "body");
}

TEST_CASE("a credential answers with every field, claims as an object and facts typed") {
  v1::Credential credential;
  credential.set_id("ab12");
  credential.set_format("vc+jwt");
  credential.set_issuer("did:web:issuer.example");
  credential.add_types("VerifiableCredential");
  credential.set_subject("did:web:p.example");
  credential.set_state("accepted");
  credential.set_claims_json(R"({"credentialSubject": {"id": "did:web:p.example"}})");
  credential.set_source("consumer");
  v1::Fact* fact = credential.add_facts();
  fact->set_subject("did:web:p.example");
  fact->set_predicate("https://w3id.org/mpli#country");
  fact->set_object("FR");
  fact->set_object_is_literal(true);
  fact->set_credential("ab12");

  json body = credential_to_json(credential);
  CHECK(body["id"] == "ab12");
  CHECK(body["types"] == json::array({"VerifiableCredential"}));
  CHECK(body["claims"]["credentialSubject"]["id"] == "did:web:p.example");
  CHECK_FALSE(body.contains("claims_json"));
  CHECK(body["facts"][0]["literal"] == true);
  CHECK(body["facts"][0]["object"] == "FR");
  CHECK(body["facts"][0]["credential"] == "ab12");
  for (const char* key : {"credential_id", "valid_from", "valid_until", "kind", "received_at",
                          "trust_root", "status_list", "source_url", "refusal"}) {
    INFO(key);
    CHECK(body[key] == "");
  }
  credential.set_claims_json("not json");
  CHECK(credential_to_json(credential)["claims"].is_null());

  v1::GetFactsReply facts;
  *facts.add_facts() = *fact;
  json facts_body = facts_to_json("did:web:p.example", facts);
  CHECK(facts_body["subject"] == "did:web:p.example");
  CHECK(facts_body["facts"].size() == 1);
}

TEST_CASE("anchors answer with their version, issuing with the token under `credential`") {
  v1::PutAnchorsReply reply;
  reply.mutable_anchors()->set_version(5);
  auto* anchor = reply.mutable_anchors()->add_anchors();
  anchor->set_credential_type("t");
  anchor->add_issuers("did:x");
  reply.set_facts_lost(2);
  json body = put_anchors_reply_to_json(reply);
  CHECK(body["version"] == 5);
  CHECK(body["anchors"][0]["issuers"][0] == "did:x");
  CHECK(body["anchors"][0]["root_certificates"] == json::array());
  CHECK(body["facts_lost"] == 2);

  v1::IssueCredentialReply issued;
  issued.set_token("eyJ.x.y");
  issued.set_issuer("did:web:hub.example");
  issued.set_media_type("application/vc+jwt");
  CHECK(issue_reply_to_json(issued) == json{{"credential", "eyJ.x.y"},
                                            {"issuer", "did:web:hub.example"},
                                            {"media_type", "application/vc+jwt"}});
}
