#include "services/gateway/domain/trust_json.h"

#include <array>
#include <cctype>
#include <cerrno>
#include <cstdlib>

#include "services/gateway/domain/json_body.h"

namespace mpli::gateway {
namespace {

using nlohmann::json;
namespace v1 = trust::v1;

constexpr size_t kMaxSubjectBytes = 2048;

// The string member `key`, "" when absent; an error when present but not a string.
Result<std::string> optional_string(const json& object, const std::string& key,
                                    const std::string& field) {
  if (!object.contains(key) || object[key].is_null()) return std::string();
  if (!object[key].is_string()) return invalid_field(field, "must be a string");
  return object[key].get<std::string>();
}

Result<std::vector<std::string>> optional_strings(const json& object, const std::string& key,
                                                  const std::string& field) {
  std::vector<std::string> out;
  if (!object.contains(key) || object[key].is_null()) return out;
  if (!object[key].is_array()) return invalid_field(field, "must be a list of strings");
  for (size_t i = 0; i < object[key].size(); ++i) {
    const json& item = object[key][i];
    std::string item_field = field + "[" + std::to_string(i) + "]";
    if (!item.is_string()) return invalid_field(item_field, "must be a string");
    if (item.get<std::string>().empty()) return invalid_field(item_field, "is empty");
    out.push_back(item.get<std::string>());
  }
  return out;
}

Result<std::string> required_subject(const std::map<std::string, std::string>& params) {
  auto it = params.find("subject");
  if (it == params.end() || it->second.empty()) {
    return invalid_field("subject", "required: the IRI of the party or offering");
  }
  if (it->second.size() > kMaxSubjectBytes) {
    return invalid_field("subject", "longer than " + std::to_string(kMaxSubjectBytes) + " bytes");
  }
  return it->second;
}

Status only_known_parameters(const std::map<std::string, std::string>& params,
                             std::initializer_list<std::string_view> known) {
  for (const auto& [key, value] : params) {
    bool listed = false;
    for (std::string_view k : known) listed = listed || key == k;
    if (!listed) {
      std::string names;
      for (std::string_view k : known) names += (names.empty() ? "" : ", ") + std::string(k);
      return invalid_field(key, "unknown parameter (known: " + names + ")");
    }
  }
  return Status::ok();
}

bool digits(std::string_view text, size_t from, size_t count) {
  if (text.size() < from + count) return false;
  for (size_t i = from; i < from + count; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
  }
  return true;
}

// RFC 3339 date-time: 2027-01-31T12:00:00Z, with optional fraction, Z or a numeric offset.
// Only the shape: trust checks the calendar.
bool looks_like_rfc3339(std::string_view text) {
  if (!digits(text, 0, 4) || text.size() < 20 || text[4] != '-' || !digits(text, 5, 2) ||
      text[7] != '-' || !digits(text, 8, 2) || (text[10] != 'T' && text[10] != 't') ||
      !digits(text, 11, 2) || text[13] != ':' || !digits(text, 14, 2) || text[16] != ':' ||
      !digits(text, 17, 2)) {
    return false;
  }
  size_t i = 19;
  if (i < text.size() && text[i] == '.') {
    size_t start = ++i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
    if (i == start) return false;
  }
  std::string_view zone = text.substr(i);
  if (zone == "Z" || zone == "z") return true;
  return zone.size() == 6 && (zone[0] == '+' || zone[0] == '-') && digits(zone, 1, 2) &&
         zone[3] == ':' && digits(zone, 4, 2);
}

Result<v1::TrustAnchor> anchor_from_json(const json& item, const std::string& field) {
  if (!item.is_object()) return invalid_field(field, "must be an object");
  Status known = only_known_members(item, field + ".",
                                    {"credential_type", "issuers", "root_certificates", "label"});
  if (!known.is_ok()) return known;
  v1::TrustAnchor anchor;
  auto type = optional_string(item, "credential_type", field + ".credential_type");
  if (!type) return type.status();
  if (type->empty()) {
    return invalid_field(field + ".credential_type", "required: the credential type IRI");
  }
  anchor.set_credential_type(*type);
  auto issuers = optional_strings(item, "issuers", field + ".issuers");
  if (!issuers) return issuers.status();
  for (auto& issuer : *issuers) anchor.add_issuers(std::move(issuer));
  auto roots = optional_strings(item, "root_certificates", field + ".root_certificates");
  if (!roots) return roots.status();
  for (auto& root : *roots) anchor.add_root_certificates(std::move(root));
  if (anchor.issuers_size() == 0 && anchor.root_certificates_size() == 0) {
    return invalid_field(field,
                         "names neither issuers nor root_certificates: it would trust nobody");
  }
  auto label = optional_string(item, "label", field + ".label");
  if (!label) return label.status();
  anchor.set_label(*label);
  return anchor;
}

// If-Match: "N" (strong entity tag), N, or * (whatever is there). nullopt: absent or *.
Result<std::optional<int64_t>> version_from_if_match(std::string_view header) {
  std::string_view value = trim(header);
  if (value.empty() || value == "*") return std::optional<int64_t>();
  if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
    value = value.substr(1, value.size() - 2);
  }
  auto version = integer_between(value, 0, int64_t{1} << 53);
  if (!version) {
    return invalid_field("If-Match", "must be the anchors' version as an entity tag, e.g. \"3\"");
  }
  return std::optional<int64_t>(*version);
}

}  // namespace

std::optional<std::string> credential_media_type_hint(std::string_view content_type) {
  static const std::array<std::string_view, 5> kTyped = {
      "application/vc+jwt", "application/vp+jwt", "application/vc+ld+json+jwt",
      "application/dc+sd-jwt", "application/vc+sd-jwt"};
  std::string type = lower_case(content_type);
  if (type == "application/jwt") return std::string();
  for (std::string_view typed : kTyped) {
    if (type == typed) return std::string(typed.substr(std::string_view("application/").size()));
  }
  return std::nullopt;
}

Result<v1::SubmitCredentialRequest> submit_request_from_json(std::string_view body) {
  auto object = parse_object(body, "{\"credential\": \"<token>\"}");
  if (!object) return object.status();
  Status known = only_known_members(
      *object, "", {"credential", "media_type", "expected_subject", "nonce", "audience"});
  if (!known.is_ok()) return known;
  auto token = optional_string(*object, "credential", "credential");
  if (!token) return token.status();
  if (trim(*token).empty()) {
    return invalid_field("credential", "required: the credential token (compact JWS or SD-JWT)");
  }
  v1::SubmitCredentialRequest request;
  request.set_token(std::string(trim(*token)));
  struct Member {
    const char* key;
    void (v1::SubmitCredentialRequest::*set)(const std::string&);
  };
  for (Member member :
       {Member{"media_type", &v1::SubmitCredentialRequest::set_media_type},
        Member{"expected_subject", &v1::SubmitCredentialRequest::set_expected_subject},
        Member{"nonce", &v1::SubmitCredentialRequest::set_nonce},
        Member{"audience", &v1::SubmitCredentialRequest::set_audience}}) {
    auto value = optional_string(*object, member.key, member.key);
    if (!value) return value.status();
    (request.*member.set)(*value);
  }
  request.set_media_type(short_media_type(request.media_type()));
  request.set_source("consumer");
  return request;
}

Result<v1::SubmitCredentialRequest> submit_request_from_token(std::string_view body,
                                                              const std::string& hint) {
  std::string_view token = trim(body);
  if (token.empty()) {
    return invalid_field("body", "empty: the body must be the credential token");
  }
  v1::SubmitCredentialRequest request;
  request.set_token(std::string(token));
  request.set_media_type(hint);
  request.set_source("consumer");
  return request;
}

Result<v1::ListCredentialsRequest> list_credentials_request(
    const std::map<std::string, std::string>& params) {
  Status known = only_known_parameters(params, {"subject", "limit"});
  if (!known.is_ok()) return known;
  auto subject = required_subject(params);
  if (!subject) return subject.status();
  v1::ListCredentialsRequest request;
  request.set_subject(*subject);
  if (auto it = params.find("limit"); it != params.end()) {
    auto limit = integer_between(it->second, 1, 500);
    if (!limit) return invalid_field("limit", "must be an integer from 1 to 500");
    request.set_limit(static_cast<int32_t>(*limit));
  }
  return request;
}

Result<v1::GetFactsRequest> get_facts_request(const std::map<std::string, std::string>& params) {
  Status known = only_known_parameters(params, {"subject"});
  if (!known.is_ok()) return known;
  auto subject = required_subject(params);
  if (!subject) return subject.status();
  v1::GetFactsRequest request;
  request.set_subject(*subject);
  return request;
}

Result<v1::PutAnchorsRequest> put_anchors_request(std::string_view body,
                                                  std::string_view if_match) {
  auto object = parse_object(body, "{\"anchors\": [...], \"expected_version\": N}");
  if (!object) return object.status();
  Status known = only_known_members(*object, "", {"anchors", "expected_version"});
  if (!known.is_ok()) return known;
  if (!object->contains("anchors") || !(*object)["anchors"].is_array()) {
    return invalid_field("anchors", "required: a list of trust anchors (may be empty)");
  }
  v1::PutAnchorsRequest request;
  const json& anchors = (*object)["anchors"];
  for (size_t i = 0; i < anchors.size(); ++i) {
    auto anchor = anchor_from_json(anchors[i], "anchors[" + std::to_string(i) + "]");
    if (!anchor) return anchor.status();
    *request.mutable_anchors()->add_anchors() = std::move(anchor).value();
  }
  std::optional<int64_t> body_version;
  if (object->contains("expected_version") && !(*object)["expected_version"].is_null()) {
    const json& version = (*object)["expected_version"];
    if (!version.is_number_integer() || version.get<int64_t>() < 0) {
      return invalid_field("expected_version",
                           "must be an integer >= 0 (0: replace whatever is there)");
    }
    body_version = version.get<int64_t>();
  }
  auto header_version = version_from_if_match(if_match);
  if (!header_version) return header_version.status();
  if (body_version && *header_version && *body_version != **header_version) {
    return invalid_field("If-Match", "says version " + std::to_string(**header_version) +
                                         " but expected_version says " +
                                         std::to_string(*body_version));
  }
  request.set_expected_version(body_version.value_or(header_version->value_or(0)));
  return request;
}

Result<v1::IssueCredentialRequest> issue_request(std::string_view body,
                                                 const std::map<std::string, std::string>& params) {
  Status known = only_known_parameters(params, {"valid_until"});
  if (!known.is_ok()) return known;
  auto object = parse_object(body, "the credential to sign as a JSON object");
  if (!object) return object.status();
  v1::IssueCredentialRequest request;
  // The client's own text, not a re-serialisation: what is signed is what was sent.
  request.set_credential_json(std::string(trim(body)));
  if (auto it = params.find("valid_until"); it != params.end()) {
    if (!looks_like_rfc3339(it->second)) {
      return invalid_field("valid_until",
                           "must be an RFC 3339 date-time, e.g. 2027-01-31T00:00:00Z");
    }
    request.set_valid_until(it->second);
  }
  return request;
}

json fact_to_json(const v1::Fact& fact) {
  return {{"subject", fact.subject()},   {"predicate", fact.predicate()},
          {"object", fact.object()},     {"literal", fact.object_is_literal()},
          {"datatype", fact.datatype()}, {"credential", fact.credential()},
          {"issuer", fact.issuer()},     {"valid_until", fact.valid_until()}};
}

json credential_to_json(const v1::Credential& credential) {
  json claims = nullptr;
  if (!credential.claims_json().empty()) {
    json parsed = json::parse(credential.claims_json(), nullptr, false);
    if (!parsed.is_discarded()) claims = std::move(parsed);
  }
  json facts = json::array();
  for (const auto& fact : credential.facts()) facts.push_back(fact_to_json(fact));
  json types = json::array();
  for (const auto& type : credential.types()) types.push_back(type);
  return {{"id", credential.id()},
          {"credential_id", credential.credential_id()},
          {"format", credential.format()},
          {"issuer", credential.issuer()},
          {"types", types},
          {"subject", credential.subject()},
          {"valid_from", credential.valid_from()},
          {"valid_until", credential.valid_until()},
          {"state", credential.state()},
          {"refusal", credential.refusal()},
          {"refusal_detail", credential.refusal_detail()},
          {"kind", credential.kind()},
          {"claims", claims},
          {"facts", facts},
          {"source", credential.source()},
          {"received_at", credential.received_at()},
          {"checked_at", credential.checked_at()},
          {"trust_root", credential.trust_root()},
          {"status_list", credential.status_list()},
          {"source_url", credential.source_url()}};
}

json credentials_to_json(const v1::ListCredentialsReply& reply) {
  json credentials = json::array();
  for (const auto& credential : reply.credentials()) {
    credentials.push_back(credential_to_json(credential));
  }
  return {{"credentials", credentials}};
}

json facts_to_json(const std::string& subject, const v1::GetFactsReply& reply) {
  json facts = json::array();
  for (const auto& fact : reply.facts()) facts.push_back(fact_to_json(fact));
  return {{"subject", subject}, {"facts", facts}};
}

json anchors_to_json(const v1::TrustAnchors& anchors) {
  json list = json::array();
  for (const auto& anchor : anchors.anchors()) {
    json issuers = json::array();
    for (const auto& issuer : anchor.issuers()) issuers.push_back(issuer);
    json roots = json::array();
    for (const auto& root : anchor.root_certificates()) roots.push_back(root);
    list.push_back({{"credential_type", anchor.credential_type()},
                    {"issuers", issuers},
                    {"root_certificates", roots},
                    {"label", anchor.label()}});
  }
  return {{"anchors", list}, {"version", anchors.version()}};
}

json put_anchors_reply_to_json(const v1::PutAnchorsReply& reply) {
  json body = anchors_to_json(reply.anchors());
  body["credentials_reevaluated"] = reply.credentials_reevaluated();
  body["facts_gained"] = reply.facts_gained();
  body["facts_lost"] = reply.facts_lost();
  return body;
}

json issue_reply_to_json(const v1::IssueCredentialReply& reply) {
  return {{"credential", reply.token()},
          {"issuer", reply.issuer()},
          {"media_type", reply.media_type()}};
}

}  // namespace mpli::gateway
