#include "services/gateway/domain/order_json.h"

#include <algorithm>
#include <array>

#include "services/gateway/domain/json_body.h"
#include "services/gateway/domain/proto_json.h"
#include "services/gateway/domain/resolution_json.h"
#include "services/gateway/domain/url.h"

namespace mpli::gateway {
namespace {

using nlohmann::json;
namespace v1 = delivery::v1;

constexpr const char* kCreateShape =
    "{\"resolution\": \"res_...\", \"rank\": 1, \"requirement\": \"<IRI>\", \"parameters\": "
    "{...}} or {\"offering\": \"<IRI>\", \"parameters\": {...}}";
constexpr const char* kModifyShape = "{\"parameters\": {\"name\": \"value\", \"removed\": null}}";

// The order states of delivery.proto (Order.state), for the list filter.
constexpr std::array<std::string_view, 9> kStates = {"requested", "accepted",  "provisioning",
                                                     "active",    "modifying", "deprovisioning",
                                                     "deleted",   "rejected",  "failed"};

constexpr size_t kMaxText = 2048;

// A required or optional non-empty string member; "" when absent (and not required).
Result<std::string> string_member(const json& object, const std::string& key, bool required,
                                  const std::string& what) {
  if (!object.contains(key) || object[key].is_null()) {
    if (required) return invalid_field(key, "required: " + what);
    return std::string();
  }
  const json& value = object[key];
  if (!value.is_string() || trim(value.get_ref<const std::string&>()).empty()) {
    return invalid_field(key, "must be a non-empty string: " + what);
  }
  if (value.get_ref<const std::string&>().size() > kMaxText) {
    return invalid_field(key, "longer than " + std::to_string(kMaxText) + " characters");
  }
  return std::string(trim(value.get_ref<const std::string&>()));
}

// A parameter's value as delivery's map<string, string> holds it. `removable`: null is allowed
// and means "remove" (the empty string, as ModifyOrderRequest reads it).
Result<std::string> parameter_value(const json& value, const std::string& field, bool removable) {
  if (value.is_string()) {
    if (value.get_ref<const std::string&>().size() > kMaxText) {
      return invalid_field(field, "longer than " + std::to_string(kMaxText) + " characters");
    }
    return value.get<std::string>();
  }
  if (value.is_boolean()) return std::string(value.get<bool>() ? "true" : "false");
  if (value.is_number_integer()) return value.dump();
  if (value.is_null() && removable) return std::string();
  return invalid_field(field, removable ? "must be a string, an integer, a boolean or null"
                                        : "must be a string, an integer or a boolean");
}

Status copy_parameters(const json& object, bool removable,
                       google::protobuf::Map<std::string, std::string>& to) {
  if (!object.contains("parameters") || object["parameters"].is_null()) return Status::ok();
  const json& parameters = object["parameters"];
  if (!parameters.is_object()) {
    return invalid_field("parameters", "must be an object of name: value");
  }
  for (const auto& [key, value] : parameters.items()) {
    std::string field = "parameters." + key;
    if (trim(key).empty() || key.size() > 128) {
      return invalid_field(field, "a parameter name is 1 to 128 characters");
    }
    MPLI_ASSIGN_OR_RETURN(std::string text, parameter_value(value, field, removable));
    to[key] = std::move(text);
  }
  return Status::ok();
}

bool printable_ascii(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return c >= 0x20 && c <= 0x7e; });
}

}  // namespace

Result<std::string> idempotency_key(std::string_view header) {
  std::string_view key = trim(header);
  if (key.empty()) {
    return invalid_field("Idempotency-Key",
                         "required header: a key of your choice (1 to 200 printable characters); "
                         "the same key and body return the same order");
  }
  if (key.size() > kMaxIdempotencyKey || !printable_ascii(key)) {
    return invalid_field("Idempotency-Key", "must be 1 to 200 printable ASCII characters");
  }
  return std::string(key);
}

Result<v1::CreateOrderRequest> create_order_request(std::string_view body) {
  MPLI_ASSIGN_OR_RETURN(json object, parse_object(body, kCreateShape));
  MPLI_RETURN_IF_ERROR(only_known_members(
      object, "", {"resolution", "rank", "requirement", "offering", "parameters", "quantity"}));
  v1::CreateOrderRequest request;
  bool by_resolution = object.contains("resolution") && !object["resolution"].is_null();
  bool by_offering = object.contains("offering") && !object["offering"].is_null();
  if (by_resolution && by_offering) {
    return invalid_field("offering", "give either resolution (with rank) or offering, not both");
  }
  if (!by_resolution && !by_offering) {
    return invalid_field(
        "resolution",
        std::string("required: a resolution's answer or an offering; send ") + kCreateShape);
  }
  if (by_resolution) {
    MPLI_ASSIGN_OR_RETURN(std::string resolution,
                          string_member(object, "resolution", true, "the resolution's id"));
    auto rank = optional_integer(object, "rank", 1, kMaxTopK);
    if (!rank) return rank.status();
    if (!rank->has_value()) {
      return invalid_field(
          "rank", "required with resolution: the answer's rank, " + range_text(1, kMaxTopK));
    }
    MPLI_ASSIGN_OR_RETURN(std::string requirement,
                          string_member(object, "requirement", false, "the requirement's IRI"));
    v1::AnswerRef& answer = *request.mutable_answer();
    answer.set_resolution_id(resolution);
    answer.set_rank(**rank);
    answer.set_requirement(requirement);
  } else {
    for (const char* only_with_resolution : {"rank", "requirement"}) {
      if (object.contains(only_with_resolution) && !object[only_with_resolution].is_null()) {
        return invalid_field(only_with_resolution,
                             "belongs to an order from a resolution, not from an offering");
      }
    }
    MPLI_ASSIGN_OR_RETURN(std::string offering,
                          string_member(object, "offering", true, "the offering's IRI"));
    request.set_offering_id(offering);
  }
  MPLI_RETURN_IF_ERROR(copy_parameters(object, false, *request.mutable_parameters()));
  auto quantity = optional_integer(object, "quantity", 1, kMaxOrderQuantity);
  if (!quantity) return quantity.status();
  request.set_quantity(quantity->value_or(0));
  return request;
}

Result<v1::ModifyOrderRequest> modify_order_request(std::string_view body) {
  MPLI_ASSIGN_OR_RETURN(json object, parse_object(body, kModifyShape));
  MPLI_RETURN_IF_ERROR(only_known_members(object, "", {"parameters"}));
  v1::ModifyOrderRequest request;
  MPLI_RETURN_IF_ERROR(copy_parameters(object, true, *request.mutable_parameters()));
  if (request.parameters().empty()) {
    return invalid_field("parameters",
                         std::string("required: at least one parameter; send ") + kModifyShape);
  }
  return request;
}

Result<v1::ListOrdersRequest> list_orders_request(
    const std::map<std::string, std::string>& params) {
  v1::ListOrdersRequest request;
  for (const auto& [key, value] : params) {
    if (key == "state") {
      if (std::find(kStates.begin(), kStates.end(), value) == kStates.end()) {
        return invalid_field("state",
                             "one of requested, accepted, provisioning, active, modifying, "
                             "deprovisioning, deleted, rejected, failed");
      }
      request.set_state(value);
    } else if (key == "provider") {
      if (value.empty() || value.size() > 256) {
        return invalid_field("provider", "a provider id, 1 to 256 characters");
      }
      request.set_provider_id(value);
    } else if (key == "limit") {
      auto n = integer_between(value, 1, 500);
      if (!n) return invalid_field("limit", range_text(1, 500));
      request.set_limit(static_cast<int32_t>(*n));
    } else if (key == "cursor") {
      if (value.empty()) return invalid_field("cursor", "must not be empty");
      request.set_cursor(value);
    } else {
      return invalid_field(key, "unknown parameter (known: state, provider, limit, cursor)");
    }
  }
  return request;
}

Result<bool> include_secrets(const std::map<std::string, std::string>& params) {
  bool secrets = false;
  for (const auto& [key, value] : params) {
    if (key != "include") return invalid_field(key, "unknown parameter (known: include)");
    if (value != "secrets") return invalid_field("include", "the only value is secrets");
    secrets = true;
  }
  return secrets;
}

Result<BillQuery> bill_query(const std::map<std::string, std::string>& params) {
  BillQuery query;
  for (const auto& [key, value] : params) {
    if (key == "consumer") {
      if (value.empty() || value.size() > 256) {
        return invalid_field("consumer", "a consumer tenant, 1 to 256 characters");
      }
      query.consumer = value;
    } else if (key == "period") {
      query.period = value;
    } else {
      return invalid_field(key, "unknown parameter (known: consumer, period)");
    }
  }
  const std::string& p = query.period;
  bool digits =
      p.size() == 7 && p[4] == '-' &&
      std::all_of(p.begin(), p.begin() + 4, [](char c) { return c >= '0' && c <= '9'; }) &&
      std::all_of(p.begin() + 5, p.end(), [](char c) { return c >= '0' && c <= '9'; });
  int month = digits ? (p[5] - '0') * 10 + (p[6] - '0') : 0;
  if (!digits || month < 1 || month > 12 || p.compare(0, 4, "1970") < 0) {
    return invalid_field("period", "required: a calendar month (UTC) as YYYY-MM, e.g. 2026-11");
  }
  return query;
}

Result<std::string> bill_tenant(const std::string& granted_tenant, const std::string& consumer) {
  if (granted_tenant.empty()) {
    if (consumer.empty()) {
      return invalid_field("consumer",
                           "required for the admin: the consumer tenant whose bill to show");
    }
    return consumer;
  }
  if (!consumer.empty() && consumer != granted_tenant) {
    return Status(
        StatusCode::kPermissionDenied,
        "this token sees the bills of tenant " + granted_tenant + " only, not of " + consumer,
        {{"reason", "forbidden"}});
  }
  return granted_tenant;
}

std::string order_location(std::string_view id) { return "/v1/orders/" + percent_encode(id); }

// int64 fields are strings in protobuf's JSON mapping; a version or a second count stays far
// below 2^53, and clients compare them as numbers.
json order_to_json(const v1::Order& order, bool with_secrets) {
  json body = proto_to_json(order);
  body["version"] = order.version();
  if (!with_secrets) body.erase("secrets");
  return body;
}

json order_list_to_json(const v1::ListOrdersReply& reply) {
  json orders = json::array();
  for (const auto& order : reply.orders()) orders.push_back(order_to_json(order, false));
  json body = {{"orders", std::move(orders)}, {"next_cursor", nullptr}};
  if (!reply.next_cursor().empty()) body["next_cursor"] = reply.next_cursor();
  return body;
}

json bill_to_json(const v1::Bill& bill) {
  json body = proto_to_json(bill);
  for (int i = 0; i < bill.lines_size(); ++i) {
    body["lines"][i]["billable_seconds"] = bill.lines(i).billable_seconds();
  }
  return body;
}

}  // namespace mpli::gateway
