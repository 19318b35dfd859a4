#include "services/gateway/handlers/discovery_routes.h"

#include <google/protobuf/descriptor.h>

#include <nlohmann/json.hpp>

#include "libs/bus/call.h"
#include "libs/service/runtime.h"
#include "mpli/discovery/v1/discovery.pb.h"
#include "services/gateway/domain/offering_query.h"
#include "services/gateway/domain/proto_json.h"
#include "services/gateway/domain/provider_query.h"
#include "services/gateway/domain/url.h"
#include "services/gateway/http/media_type.h"
#include "services/gateway/ops/etag.h"
#include "services/gateway/ops/read_cache.h"

namespace mpli::gateway {
namespace {

namespace v1 = discovery::v1;
using nlohmann::json;

constexpr const char* kJson = "application/json";
constexpr const char* kTurtle = "text/turtle";
constexpr const char* kNTriples = "application/n-triples";

// What every route needs to ask discovery.
struct Discovery {
  bus::Connection& bus;
  DiscoveryRoutesOptions options;

  template <typename Reply>
  Result<Reply> call(const std::string& operation, const google::protobuf::Message& request,
                     std::chrono::milliseconds deadline) const {
    return bus::call<Reply>(bus, service::request_subject("discovery", operation), request,
                            deadline);
  }
};

json to_json(const google::protobuf::Message& message) { return proto_to_json(message); }

// A page's cursor, or null on the last page (discovery says "" there).
json cursor_or_null(const json& body) {
  if (!body.contains("next_cursor") || body["next_cursor"] == "") return nullptr;
  return body["next_cursor"];
}

// 200 with `render(reply)` as JSON, or the problem the service answered.
template <typename Reply, typename Render>
void answer(Responder& responder, const Result<Reply>& reply, Render render) {
  if (!reply) return responder.send_status(reply.status());
  responder.send_json(200, render(*reply));
}

// A catalogue read: a fresh answer from the read cache, else `fetch` (which asks discovery),
// whose 200 is kept for the next reader; answered 200 with its ETag, or 304 when the client's
// If-None-Match has it. Errors are never kept.
template <typename Fetch>
void read_through(const Discovery& discovery, const RouteRequest& request, Responder& responder,
                  Fetch fetch) {
  ReadCache* cache = discovery.options.read_cache.get();
  std::string key;
  uint64_t generation = 0;
  if (cache != nullptr) {
    key = read_cache_key(request.http.path, request.http.query, request.media_type);
    if (auto hit = cache->find(key, ReadCache::Clock::now())) {
      return responder.send(with_etag(request.http, std::move(*hit)));
    }
    generation = cache->generation();
  }
  Result<HttpResponse> answer = fetch();
  if (!answer) return responder.send_status(answer.status());
  if (cache != nullptr) cache->store(key, generation, *answer, ReadCache::Clock::now());
  responder.send(with_etag(request.http, std::move(answer).value()));
}

// A 200 with `render(reply)` as JSON, or the problem the service answered.
template <typename Reply, typename Render>
Result<HttpResponse> json_answer(const Result<Reply>& reply, Render render) {
  if (!reply) return reply.status();
  return HttpResponse{200,
                      {{"Content-Type", kJson}},
                      render(*reply).dump(-1, ' ', false, json::error_handler_t::replace)};
}

// After a change through this gateway, its next read must see it (not wait for the event).
void catalogue_changed(const Discovery& discovery) {
  if (discovery.options.read_cache) discovery.options.read_cache->invalidate();
}

Result<std::map<std::string, std::string>> query_of(const RouteRequest& request) {
  return query_parameters(request.http.query);
}

// A provider's token registers only a manifest naming that provider: discovery compares the
// manifest's mpli:providerId with expected_provider_id before storing anything.
void register_provider(const Discovery& discovery, const auth::Grant& grant,
                       const RouteRequest& request, Responder responder) {
  std::string type = media_type_of(request.http.header("content-type"));
  v1::RegisterProviderRequest register_request;
  if (type == kTurtle) {
    if (request.http.body.empty()) {
      return responder.send_status(invalid_field("body", "the manifest body is empty"));
    }
    register_request.set_manifest_turtle(request.http.body);
  } else if (type == kJson) {
    auto body = json::parse(request.http.body, nullptr, false);
    if (body.is_discarded() || !body.is_object()) {
      return responder.send_status(invalid_field("body", "not a JSON object"));
    }
    if (!body.contains("manifest_url") || !body["manifest_url"].is_string()) {
      return responder.send_status(invalid_field("manifest_url", "required, a string"));
    }
    register_request.set_manifest_url(body["manifest_url"].get<std::string>());
  } else {
    return responder.send_problem(http_problem(
        415, "send application/json {\"manifest_url\": ...} or a text/turtle manifest"));
  }
  if (!grant.provider.empty()) register_request.set_expected_provider_id(grant.provider);
  auto reply = discovery.call<v1::RegisterProviderReply>("register_provider", register_request,
                                                         discovery.options.long_timeout);
  if (!reply) return responder.send_status(reply.status());
  catalogue_changed(discovery);
  json body = to_json(reply->provider());
  if (reply->warnings_size() > 0) {
    body["warnings"] = json::array();
    for (const auto& warning : reply->warnings()) body["warnings"].push_back(to_json(warning));
  }
  responder.send_json(reply->created() ? 201 : 200, body);
}

void ask_for_page(v1::ListProvidersRequest& request, const ProviderPage& page) {
  if (page.limit > 0) request.set_limit(page.limit);
  if (!page.cursor.empty()) request.set_cursor(page.cursor);
}

void list_providers(const Discovery& discovery, const RouteRequest& request, Responder responder) {
  auto params = query_of(request);
  if (!params) return responder.send_status(params.status());
  auto page = parse_provider_query(*params);
  if (!page) return responder.send_status(page.status());
  v1::ListProvidersRequest list;
  ask_for_page(list, *page);
  read_through(discovery, request, responder, [&] {
    return json_answer(
        discovery.call<v1::ListProvidersReply>("list_providers", list, discovery.options.timeout),
        [](const v1::ListProvidersReply& r) {
          json body = to_json(r);
          body["next_cursor"] = cursor_or_null(body);
          return body;
        });
  });
}

v1::ProviderRef provider_ref(const RouteRequest& request) {
  v1::ProviderRef ref;
  ref.set_id(request.parameters.at("id"));
  return ref;
}

void get_provider(const Discovery& discovery, const RouteRequest& request, Responder responder) {
  read_through(discovery, request, responder, [&] {
    return json_answer(discovery.call<v1::GetProviderReply>("get_provider", provider_ref(request),
                                                            discovery.options.timeout),
                       [](const v1::GetProviderReply& r) { return to_json(r.provider()); });
  });
}

void delete_provider(const Discovery& discovery, const RouteRequest& request, Responder responder) {
  auto reply = discovery.call<v1::DeleteProviderReply>("delete_provider", provider_ref(request),
                                                       discovery.options.timeout);
  if (!reply) return responder.send_status(reply.status());
  catalogue_changed(discovery);
  responder.send({204, {}, ""});
}

void refresh_provider(const Discovery& discovery, const RouteRequest& request,
                      Responder responder) {
  auto reply = discovery.call<v1::RefreshProviderReply>("refresh_provider", provider_ref(request),
                                                        discovery.options.long_timeout);
  if (reply) catalogue_changed(discovery);
  answer(responder, reply, [](const v1::RefreshProviderReply& r) {
    json body = to_json(r.provider());
    body["outcome"] = r.outcome();
    return body;
  });
}

void list_offerings(const Discovery& discovery, const RouteRequest& request, Responder responder) {
  auto params = query_of(request);
  if (!params) return responder.send_status(params.status());
  auto filter = parse_offering_query(*params);
  if (!filter) return responder.send_status(filter.status());
  read_through(discovery, request, responder, [&] {
    return json_answer(discovery.call<v1::ListOfferingsReply>("list_offerings", *filter,
                                                              discovery.options.timeout),
                       [](const v1::ListOfferingsReply& r) {
                         json body = to_json(r);
                         body["next_cursor"] = cursor_or_null(body);
                         return body;
                       });
  });
}

void get_offering(const Discovery& discovery, const RouteRequest& request, Responder responder) {
  bool turtle = request.media_type == kTurtle;
  v1::GetOfferingRequest get;
  get.set_id(request.parameters.at("id"));
  if (turtle) get.set_format("turtle");
  read_through(discovery, request, responder, [&]() -> Result<HttpResponse> {
    auto reply =
        discovery.call<v1::GetOfferingReply>("get_offering", get, discovery.options.timeout);
    if (!reply) return reply.status();
    if (turtle)
      return HttpResponse{200, {{"Content-Type", kTurtle}, {"Vary", "Accept"}}, reply->turtle()};
    return HttpResponse{
        200,
        {{"Content-Type", kJson}, {"Vary", "Accept"}},
        to_json(reply->offering()).dump(-1, ' ', false, json::error_handler_t::replace)};
  });
}

void export_catalog(const Discovery& discovery, const RouteRequest& request, Responder responder) {
  bool ntriples = request.media_type == kNTriples;
  // Pages of the catalogue arrive over the bus one by one and leave as one chunked body, so
  // neither side ever holds the whole catalogue.
  v1::ExportCatalogRequest page_request;
  page_request.set_format(ntriples ? "ntriples" : "turtle");
  auto page = discovery.call<v1::ExportCatalogReply>("export_catalog", page_request,
                                                     discovery.options.long_timeout);
  if (!page) return responder.send_status(page.status());
  ChunkedBody body =
      responder.stream(200, {{"Content-Type", ntriples ? kNTriples : kTurtle}, {"Vary", "Accept"}});
  body.write("# MPLI federated catalogue (N-Triples lines, valid Turtle)\n");
  while (true) {
    body.write(page->document());
    if (page->next_cursor().empty()) break;
    page_request.set_cursor(page->next_cursor());
    page = discovery.call<v1::ExportCatalogReply>("export_catalog", page_request,
                                                  discovery.options.long_timeout);
    if (!page) {
      // The status line is gone already; a closing comment is all that can say why it stops.
      body.write("# export interrupted: " + page.status().message() + "\n");
      break;
    }
  }
  body.end();
}

void well_known_providers(const Discovery& discovery, const RouteRequest& request,
                          Responder responder) {
  read_through(discovery, request, responder, [&] {
    return json_answer(
        discovery.call<v1::ListProvidersReply>("well_known_providers", v1::ListProvidersRequest(),
                                               discovery.options.timeout),
        [](const v1::ListProvidersReply& r) {
          json providers = json::array();
          for (const auto& p : r.providers()) {
            providers.push_back({{"id", p.id()},
                                 {"name", p.name()},
                                 {"country", p.country()},
                                 {"manifest_url", p.manifest_url()}});
          }
          return json{{"providers", providers}};
        });
  });
}

// Service kinds (docs/service-kinds.md): an admin registers a kind vocabulary (Turtle); anyone
// reads them.
void register_kind(const Discovery& discovery, const RouteRequest& request, Responder responder) {
  if (media_type_of(request.http.header("content-type")) != kTurtle) {
    return responder.send_problem(http_problem(415, "send the kind vocabulary as text/turtle"));
  }
  if (request.http.body.empty()) {
    return responder.send_status(invalid_field("body", "the kind vocabulary is empty"));
  }
  v1::RegisterKindRequest register_request;
  register_request.set_turtle(request.http.body);
  register_request.set_registered_by("admin");
  auto reply = discovery.call<v1::RegisterKindReply>("register_kind", register_request,
                                                     discovery.options.long_timeout);
  if (!reply) return responder.send_status(reply.status());
  catalogue_changed(discovery);
  json body = to_json(reply->kind());
  body["outcome"] = reply->outcome();
  body["reclassified_providers"] = reply->reclassified();
  bool created = reply->outcome() == "created" || reply->outcome() == "new_version";
  responder.send_json(created ? 201 : 200, body);
}

void list_kinds(const Discovery& discovery, const RouteRequest& request, Responder responder) {
  read_through(discovery, request, responder, [&] {
    return json_answer(discovery.call<v1::ListKindsReply>("list_kinds", v1::ListKindsRequest(),
                                                          discovery.options.timeout),
                       [](const v1::ListKindsReply& r) { return to_json(r); });
  });
}

void get_kind(const Discovery& discovery, const RouteRequest& request, Responder responder) {
  bool turtle = request.media_type == kTurtle;
  v1::GetKindRequest get;
  get.set_name(request.parameters.at("name"));
  read_through(discovery, request, responder, [&]() -> Result<HttpResponse> {
    auto reply = discovery.call<v1::GetKindReply>("get_kind", get, discovery.options.timeout);
    if (!reply) return reply.status();
    if (turtle) {
      return HttpResponse{
          200, {{"Content-Type", kTurtle}, {"Vary", "Accept"}}, reply->kind().turtle()};
    }
    v1::ServiceKind shown = reply->kind();
    shown.clear_turtle();
    return HttpResponse{200,
                        {{"Content-Type", kJson}, {"Vary", "Accept"}},
                        to_json(shown).dump(-1, ' ', false, json::error_handler_t::replace)};
  });
}

}  // namespace

void add_discovery_routes(HttpServer& server, bus::Connection& bus,
                          const DiscoveryRoutesOptions& options) {
  auto discovery = std::make_shared<const Discovery>(Discovery{bus, options});
  using Handler = void (*)(const Discovery&, const RouteRequest&, Responder);
  const auth::Guard& guard = *options.guard;
  auto with = [discovery, &guard](auth::Access access, Handler handler) {
    return guard.protect(access,
                         [discovery, handler](const RouteRequest& request, Responder responder) {
                           handler(*discovery, request, std::move(responder));
                         });
  };
  using auth::Access;
  BoundedExecutor* quick = options.quick;
  BoundedExecutor* slow = options.slow;
  server.route("POST", "/v1/providers", {kJson}, slow,
               guard.protect(Access::kProviders,
                             [discovery](const auth::Grant& grant, const RouteRequest& request,
                                         Responder responder) {
                               register_provider(*discovery, grant, request, std::move(responder));
                             }));
  server.route("GET", "/v1/providers", {kJson}, quick, with(Access::kPublic, list_providers));
  server.route("GET", "/v1/providers/:id", {kJson}, quick, with(Access::kPublic, get_provider));
  server.route("DELETE", "/v1/providers/:id", {}, quick,  // 204: no body
               with(Access::kProviderSelf, delete_provider));
  server.route("POST", "/v1/providers/:id/refresh", {kJson}, slow,
               with(Access::kProviderSelf, refresh_provider));
  server.route("GET", "/v1/offerings", {kJson}, quick, with(Access::kPublic, list_offerings));
  server.route("GET", "/v1/offerings/:id", {kJson, kTurtle}, quick,
               with(Access::kPublic, get_offering));
  server.route("GET", "/v1/catalog", {kTurtle, kNTriples}, quick,
               with(Access::kPublic, export_catalog));
  server.route("GET", "/.well-known/mpli-providers", {kJson}, quick,
               with(Access::kPublic, well_known_providers));
  server.route("POST", "/v1/ontologies", {kJson}, slow, with(Access::kAdmin, register_kind));
  server.route("GET", "/v1/ontologies", {kJson}, quick, with(Access::kPublic, list_kinds));
  server.route("GET", "/v1/ontologies/:name", {kJson, kTurtle}, quick,
               with(Access::kPublic, get_kind));
}

}  // namespace mpli::gateway
