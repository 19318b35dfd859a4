#include "services/gateway/domain/resolution_json.h"

#include <optional>

#include "services/gateway/domain/json_body.h"
#include "services/gateway/domain/proto_json.h"
#include "services/gateway/domain/url.h"

namespace mpli::gateway {
namespace {

using nlohmann::json;
namespace v1 = resolver::v1;

constexpr const char* kJsonShape =
    "{\"manifest\": \"<turtle>\", \"credentials\": [{\"token\": \"...\"}], \"top_k\": 10, "
    "\"explain_limit\": 20}";

// top_k and explain_limit from the query string of a Turtle POST; the defaults when absent.
Status apply_query(const std::map<std::string, std::string>& params, v1::ResolveRequest& request) {
  for (const auto& [key, value] : params) {
    if (key == "top_k") {
      auto n = integer_between(value, 1, kMaxTopK);
      if (!n) return invalid_field("top_k", range_text(1, kMaxTopK));
      request.set_top_k(static_cast<int32_t>(*n));
    } else if (key == "explain_limit") {
      auto n = integer_between(value, 0, kMaxExplainLimit);
      if (!n) return invalid_field("explain_limit", range_text(0, kMaxExplainLimit));
      request.set_explain_limit(static_cast<int32_t>(*n));
    } else {
      return invalid_field(key, "unknown parameter (known: top_k, explain_limit)");
    }
  }
  return Status::ok();
}

Result<v1::InlineCredential> credential_from_json(const json& item, const std::string& field) {
  if (!item.is_object()) {
    return invalid_field(field, "must be an object {\"token\": \"...\", \"media_type\": \"...\"}");
  }
  Status known = only_known_members(item, field + ".", {"token", "media_type"});
  if (!known.is_ok()) return known;
  if (!item.contains("token") || !item["token"].is_string() ||
      trim(item["token"].get_ref<const std::string&>()).empty()) {
    return invalid_field(field + ".token",
                         "required: the credential (compact JWS, SD-JWT or base64 COSE)");
  }
  v1::InlineCredential credential;
  credential.set_token(std::string(trim(item["token"].get_ref<const std::string&>())));
  if (item.contains("media_type") && !item["media_type"].is_null()) {
    if (!item["media_type"].is_string()) {
      return invalid_field(field + ".media_type", "must be a string");
    }
    credential.set_media_type(short_media_type(item["media_type"].get_ref<const std::string&>()));
  }
  return credential;
}

json message_to_json(const google::protobuf::Message& message) { return proto_to_json(message); }

}  // namespace

Result<v1::ResolveRequest> resolve_request_from_turtle(
    std::string_view body, const std::map<std::string, std::string>& params) {
  v1::ResolveRequest request;
  request.set_top_k(kDefaultTopK);
  request.set_explain_limit(kDefaultExplainLimit);
  Status query = apply_query(params, request);
  if (!query.is_ok()) return query;
  if (trim(body).empty()) return invalid_field("body", "empty: send the consumer manifest");
  request.set_manifest(std::string(body));
  return request;
}

Result<v1::ResolveRequest> resolve_request_from_json(
    std::string_view body, const std::map<std::string, std::string>& params) {
  if (!params.empty()) {
    return invalid_field(params.begin()->first,
                         "query parameters are for a text/turtle body; put it in the JSON body");
  }
  MPLI_ASSIGN_OR_RETURN(json object, parse_object(body, kJsonShape));
  Status known =
      only_known_members(object, "", {"manifest", "credentials", "top_k", "explain_limit"});
  if (!known.is_ok()) return known;

  v1::ResolveRequest request;
  if (!object.contains("manifest") || !object["manifest"].is_string() ||
      trim(object["manifest"].get_ref<const std::string&>()).empty()) {
    return invalid_field("manifest", "required: the consumer manifest as a Turtle string");
  }
  request.set_manifest(object["manifest"].get<std::string>());

  if (object.contains("credentials") && !object["credentials"].is_null()) {
    const json& credentials = object["credentials"];
    if (!credentials.is_array()) {
      return invalid_field("credentials", "must be a list of {\"token\": \"...\"} objects");
    }
    for (size_t i = 0; i < credentials.size(); ++i) {
      auto credential =
          credential_from_json(credentials[i], "credentials[" + std::to_string(i) + "]");
      if (!credential) return credential.status();
      *request.add_credentials() = std::move(credential).value();
    }
  }

  auto top_k = optional_integer(object, "top_k", 1, kMaxTopK);
  if (!top_k) return top_k.status();
  request.set_top_k(top_k->value_or(kDefaultTopK));
  auto explain_limit = optional_integer(object, "explain_limit", 0, kMaxExplainLimit);
  if (!explain_limit) return explain_limit.status();
  request.set_explain_limit(explain_limit->value_or(kDefaultExplainLimit));
  return request;
}

Result<int> answer_rank(std::string_view text) {
  auto n = integer_between(text, 1, kMaxTopK);
  if (!n) return invalid_field("rank", range_text(1, kMaxTopK) + " (the answer's rank)");
  return static_cast<int>(*n);
}

std::string resolution_location(std::string_view id) {
  return "/v1/resolutions/" + percent_encode(id);
}

json resolution_to_json(const v1::Resolution& resolution) {
  json body = message_to_json(resolution);
  // int64 fields are strings in protobuf's JSON mapping; these counts stay far below 2^53.
  body["answers_considered"] = resolution.answers_considered();
  body["catalogue_offerings"] = resolution.catalogue_offerings();
  if (!resolution.has_diagnosis()) body["diagnosis"] = nullptr;
  return body;
}

std::string resolution_to_json_text(const v1::Resolution& resolution) {
  std::map<std::string, std::string> overrides = {
      {"answers_considered", std::to_string(resolution.answers_considered())},
      {"catalogue_offerings", std::to_string(resolution.catalogue_offerings())}};
  if (!resolution.has_diagnosis()) overrides["diagnosis"] = "null";
  return proto_to_json_text(resolution, overrides);
}

json recheck_reply_to_json(const v1::RecheckAnswerReply& reply) {
  json body = message_to_json(reply);
  if (!reply.has_answer()) body["answer"] = nullptr;
  return body;
}

}  // namespace mpli::gateway
