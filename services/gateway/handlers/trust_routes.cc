#include "services/gateway/handlers/trust_routes.h"

#include "libs/bus/call.h"
#include "libs/service/runtime.h"
#include "mpli/trust/v1/trust.pb.h"
#include "services/gateway/domain/trust_json.h"
#include "services/gateway/domain/url.h"
#include "services/gateway/http/media_type.h"

namespace mpli::gateway {
namespace {

namespace v1 = trust::v1;

constexpr const char* kJson = "application/json";

// What every route needs to ask trust.
struct Trust {
  bus::Connection& bus;
  TrustRoutesOptions options;

  template <typename Reply>
  Result<Reply> call(const std::string& operation, const google::protobuf::Message& request,
                     std::chrono::milliseconds deadline) const {
    return bus::call<Reply>(bus, service::request_subject("trust", operation), request, deadline);
  }
};

// The anchors' version as an entity tag, so a client can PUT with If-Match what it read.
HeaderList version_tag(int64_t version) {
  return {{"ETag", "\"" + std::to_string(version) + "\""}};
}

// The body of a credential POST becomes trust's request: JSON with the token in "credential",
// or the raw token under a credential media type. Anything else is 415, before trust is asked.
void post_credential(const Trust& trust, const RouteRequest& request, Responder responder,
                     const std::string& operation, int success_status) {
  std::string type = media_type_of(request.http.header("content-type"));
  auto hint = credential_media_type_hint(type);
  if (type != kJson && !hint) {
    return responder.send_problem(http_problem(
        415,
        "send application/json {\"credential\": \"<token>\", ...} or the token itself as "
        "application/vc+jwt, application/vp+jwt, application/vc+ld+json+jwt, "
        "application/dc+sd-jwt, application/vc+sd-jwt or application/jwt"));
  }
  auto submit = type == kJson ? submit_request_from_json(request.http.body)
                              : submit_request_from_token(request.http.body, *hint);
  if (!submit) return responder.send_status(submit.status());
  auto reply =
      trust.call<v1::SubmitCredentialReply>(operation, *submit, trust.options.long_timeout);
  if (!reply) return responder.send_status(reply.status());
  responder.send_json(success_status, credential_to_json(reply->credential()));
}

// POST /v1/credentials: verify and keep; its facts count while it stays valid.
void submit_credential(const Trust& trust, const RouteRequest& request, Responder responder) {
  post_credential(trust, request, std::move(responder), "submit_credential", 201);
}

// POST /v1/credentials/verify: the same verdict, nothing kept.
void verify_credential(const Trust& trust, const RouteRequest& request, Responder responder) {
  post_credential(trust, request, std::move(responder), "verify_credential", 200);
}

void list_credentials(const Trust& trust, const RouteRequest& request, Responder responder) {
  auto params = query_parameters(request.http.query);
  if (!params) return responder.send_status(params.status());
  auto list = list_credentials_request(*params);
  if (!list) return responder.send_status(list.status());
  auto reply =
      trust.call<v1::ListCredentialsReply>("list_credentials", *list, trust.options.timeout);
  if (!reply) return responder.send_status(reply.status());
  responder.send_json(200, credentials_to_json(*reply));
}

void get_facts(const Trust& trust, const RouteRequest& request, Responder responder) {
  auto params = query_parameters(request.http.query);
  if (!params) return responder.send_status(params.status());
  auto get = get_facts_request(*params);
  if (!get) return responder.send_status(get.status());
  auto reply = trust.call<v1::GetFactsReply>("get_facts", *get, trust.options.timeout);
  if (!reply) return responder.send_status(reply.status());
  responder.send_json(200, facts_to_json(get->subject(), *reply));
}

void get_anchors(const Trust& trust, const RouteRequest&, Responder responder) {
  auto reply =
      trust.call<v1::TrustAnchors>("get_anchors", v1::GetAnchorsRequest(), trust.options.timeout);
  if (!reply) return responder.send_status(reply.status());
  responder.send_json(200, anchors_to_json(*reply), version_tag(reply->version()));
}

void put_anchors(const Trust& trust, const RouteRequest& request, Responder responder) {
  if (media_type_of(request.http.header("content-type")) != kJson) {
    return responder.send_problem(
        http_problem(415, "send application/json {\"anchors\": [...], \"expected_version\": N}"));
  }
  auto put = put_anchors_request(request.http.body, request.http.header("if-match"));
  if (!put) return responder.send_status(put.status());
  // Re-evaluating every kept credential against the new anchors may take longer than a lookup.
  auto reply = trust.call<v1::PutAnchorsReply>("put_anchors", *put, trust.options.long_timeout);
  if (!reply) return responder.send_status(reply.status());
  responder.send_json(200, put_anchors_reply_to_json(*reply),
                      version_tag(reply->anchors().version()));
}

void issue_credential(const Trust& trust, const RouteRequest& request, Responder responder) {
  if (media_type_of(request.http.header("content-type")) != kJson) {
    return responder.send_problem(
        http_problem(415, "send the credential to sign as application/json"));
  }
  auto params = query_parameters(request.http.query);
  if (!params) return responder.send_status(params.status());
  auto issue = issue_request(request.http.body, *params);
  if (!issue) return responder.send_status(issue.status());
  auto reply =
      trust.call<v1::IssueCredentialReply>("issue_credential", *issue, trust.options.timeout);
  if (!reply) return responder.send_status(reply.status());
  responder.send_json(201, issue_reply_to_json(*reply));
}

}  // namespace

void add_trust_routes(HttpServer& server, bus::Connection& bus, const TrustRoutesOptions& options) {
  auto trust = std::make_shared<const Trust>(Trust{bus, options});
  using Handler = void (*)(const Trust&, const RouteRequest&, Responder);
  auto with = [trust, guard = options.guard](auth::Access access, Handler handler) {
    // The check comes before anything is read from the body or asked of trust.
    return guard->protect(access,
                          [trust, handler](const RouteRequest& request, Responder responder) {
                            handler(*trust, request, std::move(responder));
                          });
  };
  using auth::Access;
  BoundedExecutor* quick = options.quick;
  BoundedExecutor* slow = options.slow;
  server.route("POST", "/v1/credentials", {kJson}, slow,
               with(Access::kAnyToken, submit_credential));
  server.route("POST", "/v1/credentials/verify", {kJson}, slow,
               with(Access::kAnyToken, verify_credential));
  server.route("GET", "/v1/credentials", {kJson}, quick, with(Access::kAnyToken, list_credentials));
  server.route("GET", "/v1/facts", {kJson}, quick, with(Access::kAnyToken, get_facts));
  server.route("GET", "/v1/trust/anchors", {kJson}, quick, with(Access::kAdmin, get_anchors));
  server.route("PUT", "/v1/trust/anchors", {kJson}, quick, with(Access::kAdmin, put_anchors));
  server.route("POST", "/v1/credentials/issue", {kJson}, quick,
               with(Access::kAdmin, issue_credential));
}

}  // namespace mpli::gateway
