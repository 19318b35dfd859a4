#include "services/gateway/handlers/delivery_routes.h"

#include "libs/bus/call.h"
#include "libs/service/runtime.h"
#include "mpli/delivery/v1/delivery.pb.h"
#include "services/gateway/domain/order_json.h"
#include "services/gateway/domain/url.h"
#include "services/gateway/http/media_type.h"

namespace mpli::gateway {
namespace {

namespace v1 = delivery::v1;

constexpr const char* kJson = "application/json";
constexpr const char* kMergePatch = "application/merge-patch+json";

// An order carries connection details (and its parameters may name hosts and users): no cache
// anywhere keeps one, whoever asked.
const HeaderList kNoStore = {{"Cache-Control", "no-store"}};

HeaderList no_store_and(HeaderList more) {
  more.insert(more.begin(), kNoStore.begin(), kNoStore.end());
  return more;
}

// 403 for what the guard let in but this caller may not have (reason "forbidden", as the
// guard's own refusals).
void refuse_forbidden(Responder& responder, const std::string& detail) {
  Problem problem = http_problem(403, detail);
  problem.body["reason"] = "forbidden";
  responder.send_problem(problem);
}

// What every route needs to ask delivery.
struct Delivery {
  bus::Connection& bus;
  DeliveryRoutesOptions options;

  template <typename Reply>
  Result<Reply> call(const std::string& operation, const google::protobuf::Message& request,
                     std::chrono::milliseconds deadline) const {
    return bus::call<Reply>(bus, service::request_subject("delivery", operation), request,
                            deadline);
  }
  template <typename Reply>
  Result<Reply> call(const std::string& operation, const google::protobuf::Message& request) const {
    return call<Reply>(operation, request, options.timeout);
  }
};

// POST /v1/orders: 201 with Location for a new order, 200 for a repeat of an earlier request
// with the same Idempotency-Key (delivery says created=false).
void create_order(const Delivery& delivery, const auth::Grant& grant, const RouteRequest& request,
                  Responder responder) {
  if (media_type_of(request.http.header("content-type")) != kJson) {
    return responder.send_problem(http_problem(
        415,
        "send the order as application/json {\"offering\": \"<IRI>\", \"parameters\": {}} "
        "or {\"resolution\": \"res_...\", \"rank\": 1}"));
  }
  auto params = query_parameters(request.http.query);
  if (!params) return responder.send_status(params.status());
  if (!params->empty()) {
    return responder.send_status(invalid_field(
        params->begin()->first, "POST /v1/orders takes no query parameters; use the body"));
  }
  auto key = idempotency_key(request.http.header("idempotency-key"));
  if (!key) return responder.send_status(key.status());
  auto create = create_order_request(request.http.body);
  if (!create) return responder.send_status(create.status());
  if (grant.tenant.empty()) {
    return responder.send_status(invalid_field(
        "Mpli-On-Behalf-Of",
        "the admin orders for a consumer tenant: name it in the header Mpli-On-Behalf-Of"));
  }
  create->set_tenant(grant.tenant);
  create->set_idempotency_key(*key);
  auto reply =
      delivery.call<v1::CreateOrderReply>("create_order", *create, delivery.options.create_timeout);
  if (!reply) return responder.send_status(reply.status());
  const v1::Order& order = reply->order();
  nlohmann::json body = order_to_json(order, false);
  body["created"] = reply->created();
  if (!reply->created()) return responder.send_json(200, body, kNoStore);
  responder.send_json(201, body, no_store_and({{"Location", order_location(order.id())}}));
}

// GET /v1/orders: the caller's tenant's orders (the admin: all, or the tenant it names); a
// provider's token: the orders placed with that provider.
void list_orders(const Delivery& delivery, const auth::Grant& grant, const RouteRequest& request,
                 Responder responder) {
  auto params = query_parameters(request.http.query);
  if (!params) return responder.send_status(params.status());
  auto list = list_orders_request(*params);
  if (!list) return responder.send_status(list.status());
  if (!grant.provider.empty()) {
    if (!list->provider_id().empty() && list->provider_id() != grant.provider) {
      return refuse_forbidden(responder, "a provider token lists the orders of provider " +
                                             grant.provider + " only, not of " +
                                             list->provider_id());
    }
    list->set_provider_id(grant.provider);
  }
  list->set_tenant(grant.tenant);
  auto reply = delivery.call<v1::ListOrdersReply>("list_orders", *list);
  if (!reply) return responder.send_status(reply.status());
  responder.send_json(200, order_list_to_json(*reply), kNoStore);
}

// GET /v1/orders/{id}[?include=secrets]. Another tenant's order answers 404 like a missing one
// (delivery filters by tenant). The secrets go to the owner's own consumer token only.
void get_order(const Delivery& delivery, const auth::Grant& grant, const RouteRequest& request,
               Responder responder) {
  auto params = query_parameters(request.http.query);
  if (!params) return responder.send_status(params.status());
  auto secrets = include_secrets(*params);
  if (!secrets) return responder.send_status(secrets.status());
  if (*secrets && !grant.owner) {
    return refuse_forbidden(responder,
                            "an order's secrets go only to its owner's consumer token, not to "
                            "the admin or a marketplace acting for it");
  }
  v1::GetOrderRequest get;
  get.set_id(request.parameters.at("id"));
  get.set_tenant(grant.tenant);
  get.set_include_secrets(*secrets);
  auto reply = delivery.call<v1::GetOrderReply>("get_order", get);
  if (!reply) return responder.send_status(reply.status());
  responder.send_json(200, order_to_json(reply->order(), *secrets), kNoStore);
}

// PATCH /v1/orders/{id} {"parameters": {...}}: active -> modifying.
void modify_order(const Delivery& delivery, const auth::Grant& grant, const RouteRequest& request,
                  Responder responder) {
  std::string type = media_type_of(request.http.header("content-type"));
  if (type != kJson && type != kMergePatch) {
    return responder.send_problem(
        http_problem(415,
                     "send the new parameters as application/json or application/merge-patch+json "
                     "{\"parameters\": {\"name\": \"value\"}}"));
  }
  auto modify = modify_order_request(request.http.body);
  if (!modify) return responder.send_status(modify.status());
  modify->set_id(request.parameters.at("id"));
  modify->set_tenant(grant.tenant);
  auto reply = delivery.call<v1::ModifyOrderReply>("modify_order", *modify);
  if (!reply) return responder.send_status(reply.status());
  responder.send_json(200, order_to_json(reply->order(), false), kNoStore);
}

// DELETE /v1/orders/{id}: deprovisioning starts (or is marked for when the work in flight
// ends); 202 with the order as it is now.
void delete_order(const Delivery& delivery, const auth::Grant& grant, const RouteRequest& request,
                  Responder responder) {
  v1::DeleteOrderRequest del;
  del.set_id(request.parameters.at("id"));
  del.set_tenant(grant.tenant);
  auto reply = delivery.call<v1::DeleteOrderReply>("delete_order", del);
  if (!reply) return responder.send_status(reply.status());
  responder.send_json(202, order_to_json(reply->order(), false), kNoStore);
}

// GET /v1/bills?consumer=&period=YYYY-MM.
void get_bill(const Delivery& delivery, const auth::Grant& grant, const RouteRequest& request,
              Responder responder) {
  auto params = query_parameters(request.http.query);
  if (!params) return responder.send_status(params.status());
  auto query = bill_query(*params);
  if (!query) return responder.send_status(query.status());
  auto tenant = bill_tenant(grant.tenant, query->consumer);
  if (!tenant) return responder.send_status(tenant.status());
  v1::GetBillRequest get;
  get.set_tenant(*tenant);
  get.set_period(query->period);
  auto reply = delivery.call<v1::GetBillReply>("get_bill", get);
  if (!reply) return responder.send_status(reply.status());
  responder.send_json(200, bill_to_json(reply->bill()), kNoStore);
}

}  // namespace

void add_delivery_routes(HttpServer& server, bus::Connection& bus,
                         const DeliveryRoutesOptions& options) {
  auto delivery = std::make_shared<const Delivery>(Delivery{bus, options});
  using Handler = void (*)(const Delivery&, const auth::Grant&, const RouteRequest&, Responder);
  auto with = [delivery, guard = options.guard](auth::Access access, Handler handler) {
    return guard->protect(access,
                          [delivery, handler](const auth::Grant& grant, const RouteRequest& request,
                                              Responder responder) {
                            handler(*delivery, grant, request, std::move(responder));
                          });
  };
  constexpr auto kTenants = auth::Access::kTenants;
  server.route("POST", "/v1/orders", {kJson}, options.slow, with(kTenants, create_order));
  // A provider may list the orders placed with it; everything else is the tenant's.
  server.route("GET", "/v1/orders", {kJson}, options.quick,
               with(auth::Access::kTenantsOrProvider, list_orders));
  server.route("GET", "/v1/orders/:id", {kJson}, options.quick, with(kTenants, get_order));
  server.route("PATCH", "/v1/orders/:id", {kJson}, options.quick, with(kTenants, modify_order));
  server.route("DELETE", "/v1/orders/:id", {kJson}, options.quick, with(kTenants, delete_order));
  server.route("GET", "/v1/bills", {kJson}, options.quick, with(kTenants, get_bill));
}

}  // namespace mpli::gateway
