// The REST shapes of /v1/orders and /v1/bills: request bodies, headers and query strings into
// delivery.v1 requests (each bad input a kInvalidArgument naming its field), and delivery.v1
// replies into the JSON the gateway answers. Pure: no bus, no sockets (docs/orders.md).
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "libs/core/status.h"
#include "mpli/delivery/v1/delivery.pb.h"

namespace mpli::gateway {

inline constexpr size_t kMaxIdempotencyKey = 200;
inline constexpr int kMaxOrderQuantity = 1000000;

// The Idempotency-Key header: required, 1..200 printable ASCII characters (surrounding blanks
// trimmed). Missing or bad: kInvalidArgument with field "Idempotency-Key".
Result<std::string> idempotency_key(std::string_view header);

// POST /v1/orders (application/json): {"resolution": "res_..", "rank": 1, "requirement": "<iri>",
// "parameters": {..}, "quantity": n} or {"offering": "<iri>", "parameters": {..}, "quantity": n}.
// Parameter values are strings, integers or booleans (sent to delivery as their text). Unknown
// members are refused. The tenant and key are the caller's to set.
Result<delivery::v1::CreateOrderRequest> create_order_request(std::string_view body);

// PATCH /v1/orders/{id} (application/json or application/merge-patch+json):
// {"parameters": {"key": "value", "gone": null}}; null (as in a JSON merge patch) or "" removes
// the key. At least one parameter.
Result<delivery::v1::ModifyOrderRequest> modify_order_request(std::string_view body);

// GET /v1/orders?state=&provider=&limit=&cursor=: the filters checked (state one of the order
// states, limit 1..500), unknown parameters refused.
Result<delivery::v1::ListOrdersRequest> list_orders_request(
    const std::map<std::string, std::string>& params);

// GET /v1/orders/{id}?include=secrets: true when the secrets are asked for; any other parameter
// or value is refused.
Result<bool> include_secrets(const std::map<std::string, std::string>& params);

// GET /v1/bills?consumer=&period=YYYY-MM. `consumer` may be absent; `period` is required and
// checked (a real month).
struct BillQuery {
  std::string consumer;
  std::string period;
};
Result<BillQuery> bill_query(const std::map<std::string, std::string>& params);

// The tenant whose bill is asked for, given the tenant the caller acts for ("" = the admin,
// every tenant) and the query's consumer. The admin must name one (400 field "consumer"); any
// other caller gets only its own: another tenant is kPermissionDenied (403), not a 404, since a
// bill always exists for any tenant and month and saying "no" reveals nothing.
Result<std::string> bill_tenant(const std::string& granted_tenant, const std::string& consumer);

// "/v1/orders/<id>", the id percent-encoded.
std::string order_location(std::string_view id);

// The order with its proto field names, every field present; `version` and `quantity` as
// numbers. `secrets` is left out unless `with_secrets` (so a list or a plain read never shows
// even an empty map where a reader might look for them).
nlohmann::json order_to_json(const delivery::v1::Order& order, bool with_secrets);
// {"orders": [...], "next_cursor": "..." or null}; never secrets.
nlohmann::json order_list_to_json(const delivery::v1::ListOrdersReply& reply);
// The bill with its proto field names; billable_seconds as numbers.
nlohmann::json bill_to_json(const delivery::v1::Bill& bill);

}  // namespace mpli::gateway
