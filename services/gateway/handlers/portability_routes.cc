#include "services/gateway/handlers/portability_routes.h"

#include "libs/bus/call.h"
#include "libs/service/runtime.h"
#include "mpli/portability/v1/portability.pb.h"
#include "services/gateway/domain/migration_json.h"
#include "services/gateway/domain/order_json.h"
#include "services/gateway/domain/url.h"
#include "services/gateway/http/media_type.h"
#include "services/portability/report/report_html.h"

namespace mpli::gateway {
namespace {

namespace v1 = portability::v1;

constexpr const char* kJson = "application/json";
constexpr const char* kHtml = "text/html";

// A migration names the tenant's order, providers and connection details of the target: no
// shared cache keeps one.
const HeaderList kNoStore = {{"Cache-Control", "no-store"}};

// The report page is evidence handed to people: nothing in it runs, nothing is fetched, and no
// one frames it. Its only style is inline.
const HeaderList kReportPageHeaders = {
    {"Cache-Control", "no-store"},
    {"Vary", "Accept"},
    {"Content-Security-Policy",
     "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; "
     "frame-ancestors 'none'"},
    {"X-Content-Type-Options", "nosniff"}};

struct Portability {
  bus::Connection& bus;
  PortabilityRoutesOptions options;

  template <typename Reply>
  Result<Reply> call(const std::string& operation, const google::protobuf::Message& request,
                     std::chrono::milliseconds deadline) const {
    return bus::call<Reply>(bus, service::request_subject("portability", operation), request,
                            deadline);
  }
  template <typename Reply>
  Result<Reply> call(const std::string& operation, const google::protobuf::Message& request) const {
    return call<Reply>(operation, request, options.timeout);
  }
};

Status no_query(const RouteRequest& request, const std::string& route) {
  auto params = query_parameters(request.http.query);
  if (!params) return params.status();
  if (!params->empty()) {
    return invalid_field(params->begin()->first, route + " takes no query parameters");
  }
  return Status::ok();
}

// POST /v1/migrations: 201 with Location for a new migration, 200 for a repeat of an earlier
// request with the same Idempotency-Key (portability says created=false).
void create_migration(const Portability& portability, const auth::Grant& grant,
                      const RouteRequest& request, Responder responder) {
  if (media_type_of(request.http.header("content-type")) != kJson) {
    return responder.send_problem(
        http_problem(415,
                     "send the migration as application/json {\"order_id\": \"ord_...\", "
                     "\"target_offering_id\": \"<IRI>\"}"));
  }
  if (Status query = no_query(request, "POST /v1/migrations"); !query.is_ok()) {
    return responder.send_status(query);
  }
  auto key = idempotency_key(request.http.header("idempotency-key"));
  if (!key) return responder.send_status(key.status());
  auto create = create_migration_request(request.http.body);
  if (!create) return responder.send_status(create.status());
  if (grant.tenant.empty()) {
    return responder.send_status(
        invalid_field("Mpli-On-Behalf-Of",
                      "the admin moves a consumer tenant's order: name the tenant in the header "
                      "Mpli-On-Behalf-Of"));
  }
  create->set_tenant(grant.tenant);
  create->set_idempotency_key(*key);
  auto reply = portability.call<v1::CreateMigrationReply>("create_migration", *create,
                                                          portability.options.create_timeout);
  if (!reply) return responder.send_status(reply.status());
  nlohmann::json body = proto_to_json_with_numbers(reply->migration());
  body["created"] = reply->created();
  if (!reply->created()) return responder.send_json(200, body, kNoStore);
  HeaderList headers = kNoStore;
  headers.push_back({"Location", migration_location(reply->migration().id())});
  responder.send_json(201, body, headers);
}

// GET /v1/migrations: the caller's tenant's migrations (the admin: every tenant's).
void list_migrations(const Portability& portability, const auth::Grant& grant,
                     const RouteRequest& request, Responder responder) {
  auto params = query_parameters(request.http.query);
  if (!params) return responder.send_status(params.status());
  auto list = list_migrations_request(*params);
  if (!list) return responder.send_status(list.status());
  list->set_tenant(grant.tenant);
  auto reply = portability.call<v1::ListMigrationsReply>("list_migrations", *list);
  if (!reply) return responder.send_status(reply.status());
  responder.send_json(200, migration_list_to_json(*reply), kNoStore);
}

// GET /v1/migrations/{id}: with its steps and timings. Another tenant's migration answers 404
// like a missing one (portability filters by tenant).
void get_migration(const Portability& portability, const auth::Grant& grant,
                   const RouteRequest& request, Responder responder) {
  if (Status query = no_query(request, "GET /v1/migrations/{id}"); !query.is_ok()) {
    return responder.send_status(query);
  }
  v1::GetMigrationRequest get;
  get.set_id(request.parameters.at("id"));
  get.set_tenant(grant.tenant);
  auto reply = portability.call<v1::GetMigrationReply>("get_migration", get);
  if (!reply) return responder.send_status(reply.status());
  responder.send_json(200, proto_to_json_with_numbers(reply->migration()), kNoStore);
}

// POST /v1/migrations/{id}/cancel: before cut-over the migration rolls back (202, as it is
// now); later, 409 invalid_state.
void cancel_migration(const Portability& portability, const auth::Grant& grant,
                      const RouteRequest& request, Responder responder) {
  if (Status query = no_query(request, "POST /v1/migrations/{id}/cancel"); !query.is_ok()) {
    return responder.send_status(query);
  }
  v1::CancelMigrationRequest cancel;
  cancel.set_id(request.parameters.at("id"));
  cancel.set_tenant(grant.tenant);
  auto reply = portability.call<v1::CancelMigrationReply>("cancel_migration", cancel);
  if (!reply) return responder.send_status(reply.status());
  responder.send_json(202, proto_to_json_with_numbers(reply->migration()), kNoStore);
}

// GET /v1/migrations/{id}/report: JSON, or with Accept: text/html the page to hand over.
void get_report(const Portability& portability, const auth::Grant& grant,
                const RouteRequest& request, Responder responder) {
  if (Status query = no_query(request, "GET /v1/migrations/{id}/report"); !query.is_ok()) {
    return responder.send_status(query);
  }
  v1::GetReportRequest get;
  get.set_id(request.parameters.at("id"));
  get.set_tenant(grant.tenant);
  auto reply = portability.call<v1::GetReportReply>("get_report", get);
  if (!reply) return responder.send_status(reply.status());
  if (request.media_type == kHtml) {
    HeaderList headers = kReportPageHeaders;
    headers.push_back({"Content-Type", "text/html; charset=utf-8"});
    return responder.send(HttpResponse{200, std::move(headers),
                                       mpli::portability::report::report_html(reply->report())});
  }
  HeaderList headers = kNoStore;
  headers.push_back({"Vary", "Accept"});
  responder.send_json(200, proto_to_json_with_numbers(reply->report()), headers);
}

}  // namespace

void add_portability_routes(HttpServer& server, bus::Connection& bus,
                            const PortabilityRoutesOptions& options) {
  auto portability = std::make_shared<const Portability>(Portability{bus, options});
  using Handler = void (*)(const Portability&, const auth::Grant&, const RouteRequest&, Responder);
  auto with = [portability, guard = options.guard](Handler handler) {
    // Every route is the tenant's (a consumer, a marketplace acting for one, the admin); a
    // provider has no migration of its own to read here.
    return guard->protect(auth::Access::kTenants,
                          [portability, handler](const auth::Grant& grant,
                                                 const RouteRequest& request, Responder responder) {
                            handler(*portability, grant, request, std::move(responder));
                          });
  };
  server.route("POST", "/v1/migrations", {kJson}, options.slow, with(create_migration));
  server.route("GET", "/v1/migrations", {kJson}, options.quick, with(list_migrations));
  server.route("GET", "/v1/migrations/:id", {kJson}, options.quick, with(get_migration));
  server.route("POST", "/v1/migrations/:id/cancel", {kJson}, options.quick, with(cancel_migration));
  server.route("GET", "/v1/migrations/:id/report", {kJson, kHtml}, options.quick, with(get_report));
}

}  // namespace mpli::gateway
