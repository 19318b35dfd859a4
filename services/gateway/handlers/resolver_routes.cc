#include "services/gateway/handlers/resolver_routes.h"

#include "libs/bus/call.h"
#include "libs/service/runtime.h"
#include "mpli/resolver/v1/resolver.pb.h"
#include "services/gateway/domain/resolution_json.h"
#include "services/gateway/domain/url.h"
#include "services/gateway/http/media_type.h"

namespace mpli::gateway {
namespace {

namespace v1 = resolver::v1;

constexpr const char* kJson = "application/json";
constexpr const char* kTurtle = "text/turtle";

// What every route needs to ask the resolver.
struct Resolver {
  bus::Connection& bus;
  ResolverRoutesOptions options;

  template <typename Reply>
  Result<Reply> call(const std::string& operation, const google::protobuf::Message& request,
                     std::chrono::milliseconds deadline) const {
    return bus::call<Reply>(bus, service::request_subject("resolver", operation), request,
                            deadline);
  }
};

// POST /v1/resolutions: a text/turtle manifest (top_k, explain_limit in the query) or JSON with
// inline credentials. 201 with the resolution and its Location.
void resolve(const Resolver& resolver, const auth::Grant& grant, const RouteRequest& request,
             Responder responder) {
  std::string type = media_type_of(request.http.header("content-type"));
  if (type != kTurtle && type != kJson) {
    return responder.send_problem(http_problem(
        415,
        "send the consumer manifest as text/turtle, or application/json {\"manifest\": "
        "\"<turtle>\", \"credentials\": [{\"token\": \"...\"}], \"top_k\": 10, "
        "\"explain_limit\": 20}"));
  }
  auto params = query_parameters(request.http.query);
  if (!params) return responder.send_status(params.status());
  auto resolve_request = type == kTurtle ? resolve_request_from_turtle(request.http.body, *params)
                                         : resolve_request_from_json(request.http.body, *params);
  if (!resolve_request) return responder.send_status(resolve_request.status());
  resolve_request->set_tenant(grant.tenant);
  auto reply = resolver.call<v1::ResolveReply>("resolve", *resolve_request,
                                               resolver.options.resolve_timeout);
  if (!reply) return responder.send_status(reply.status());
  responder.send_json_text(201, resolution_to_json_text(reply->resolution()),
                           {{"Location", resolution_location(reply->resolution().id())}});
}

// Another tenant's resolution answers 404 like a missing one: the resolver filters by tenant.
void get_resolution(const Resolver& resolver, const auth::Grant& grant, const RouteRequest& request,
                    Responder responder) {
  v1::GetResolutionRequest get;
  get.set_id(request.parameters.at("id"));
  get.set_tenant(grant.tenant);
  auto reply =
      resolver.call<v1::GetResolutionReply>("get_resolution", get, resolver.options.timeout);
  if (!reply) return responder.send_status(reply.status());
  responder.send_json_text(200, resolution_to_json_text(reply->resolution()));
}

void recheck_answer(const Resolver& resolver, const auth::Grant& grant, const RouteRequest& request,
                    Responder responder) {
  auto rank = answer_rank(request.parameters.at("rank"));
  if (!rank) return responder.send_status(rank.status());
  v1::RecheckAnswerRequest recheck;
  recheck.set_resolution_id(request.parameters.at("id"));
  recheck.set_rank(*rank);
  recheck.set_tenant(grant.tenant);
  auto reply =
      resolver.call<v1::RecheckAnswerReply>("recheck_answer", recheck, resolver.options.timeout);
  if (!reply) return responder.send_status(reply.status());
  responder.send_json(200, recheck_reply_to_json(*reply));
}

}  // namespace

void add_resolver_routes(HttpServer& server, bus::Connection& bus,
                         const ResolverRoutesOptions& options) {
  auto resolver = std::make_shared<const Resolver>(Resolver{bus, options});
  using Handler = void (*)(const Resolver&, const auth::Grant&, const RouteRequest&, Responder);
  // Every resolution route is a tenant's: the guard settles which tenant before the resolver is
  // asked anything.
  auto with = [resolver, guard = options.guard](Handler handler) {
    return guard->protect(auth::Access::kTenants,
                          [resolver, handler](const auth::Grant& grant, const RouteRequest& request,
                                              Responder responder) {
                            handler(*resolver, grant, request, std::move(responder));
                          });
  };
  server.route("POST", "/v1/resolutions", {kJson}, options.slow, with(resolve));
  server.route("GET", "/v1/resolutions/:id", {kJson}, options.quick, with(get_resolution));
  server.route("POST", "/v1/resolutions/:id/answers/:rank/recheck", {kJson}, options.quick,
               with(recheck_answer));
}

}  // namespace mpli::gateway
