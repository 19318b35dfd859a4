// The REST shapes of /v1/credentials, /v1/facts and /v1/trust/anchors: request bodies and query
// strings into trust.v1 requests (each bad input a kInvalidArgument naming its field), and
// trust.v1 replies into the JSON the gateway answers. Pure: no bus, no sockets.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "libs/core/status.h"
#include "mpli/trust/v1/trust.pb.h"

namespace mpli::gateway {

// The Content-Types a credential may be posted as raw (the body is the token), mapped to the
// media_type hint trust reads: "application/vc+jwt" -> "vc+jwt". "application/jwt" says only
// "some JWT" and gives no hint (""): trust decides from the token's own typ. nullopt: not a
// credential type.
std::optional<std::string> credential_media_type_hint(std::string_view content_type);

// POST /v1/credentials and /verify with Content-Type application/json: {"credential": ...,
// "media_type", "expected_subject", "nonce", "audience"} (all but credential optional strings).
// Unknown members are refused, so a misspelt "expected_subjct" never goes unnoticed.
Result<trust::v1::SubmitCredentialRequest> submit_request_from_json(std::string_view body);
// The same with the raw token as the body and the hint from its Content-Type. Surrounding
// whitespace (a trailing newline from `curl --data-binary @file`) is not part of the token.
Result<trust::v1::SubmitCredentialRequest> submit_request_from_token(std::string_view body,
                                                                     const std::string& hint);

// GET /v1/credentials?subject=IRI&limit=N (subject required; limit 1..500).
Result<trust::v1::ListCredentialsRequest> list_credentials_request(
    const std::map<std::string, std::string>& params);
// GET /v1/facts?subject=IRI
Result<trust::v1::GetFactsRequest> get_facts_request(
    const std::map<std::string, std::string>& params);

// PUT /v1/trust/anchors: {"anchors": [{credential_type, issuers, root_certificates, label}],
// "expected_version": N}. `if_match` is the If-Match header ("" when absent): `"N"` (or N) is an
// expected_version too; given both ways, they must agree.
Result<trust::v1::PutAnchorsRequest> put_anchors_request(std::string_view body,
                                                         std::string_view if_match);

// POST /v1/credentials/issue: the body is the credential to sign (a JSON object), `valid_until`
// an optional query parameter (RFC 3339).
Result<trust::v1::IssueCredentialRequest> issue_request(
    std::string_view body, const std::map<std::string, std::string>& params);

nlohmann::json fact_to_json(const trust::v1::Fact& fact);
// Every field of trust.v1.Credential in snake_case, always present ("" when unset), except that
// claims_json becomes `claims`, the JSON object it holds (null when it is empty or not JSON).
nlohmann::json credential_to_json(const trust::v1::Credential& credential);
nlohmann::json credentials_to_json(const trust::v1::ListCredentialsReply& reply);
nlohmann::json facts_to_json(const std::string& subject, const trust::v1::GetFactsReply& reply);
nlohmann::json anchors_to_json(const trust::v1::TrustAnchors& anchors);
nlohmann::json put_anchors_reply_to_json(const trust::v1::PutAnchorsReply& reply);
nlohmann::json issue_reply_to_json(const trust::v1::IssueCredentialReply& reply);

}  // namespace mpli::gateway
