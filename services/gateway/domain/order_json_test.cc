#include "services/gateway/domain/order_json.h"

#include <catch2/catch.hpp>

using namespace mpli;
using namespace mpli::gateway;
using nlohmann::json;
namespace v1 = mpli::delivery::v1;

namespace {

// The field a refusal names ("" when it is not a refusal of a field).
template <typename T>
std::string refused_field(const Result<T>& result) {
  if (result.is_ok()) return "";
  CHECK(result.status().code() == StatusCode::kInvalidArgument);
  return result.status().detail("field");
}

std::map<std::string, std::string> params(
    std::initializer_list<std::pair<const std::string, std::string>> list) {
  return list;
}

}  // namespace

TEST_CASE("Idempotency-Key: required, 1 to 200 printable characters, blanks around trimmed") {
  CHECK(*idempotency_key(" k-1 ") == "k-1");
  CHECK(*idempotency_key(std::string(200, 'a')) == std::string(200, 'a'));
  CHECK(refused_field(idempotency_key("")) == "Idempotency-Key");
  CHECK(refused_field(idempotency_key("   ")) == "Idempotency-Key");
  CHECK(refused_field(idempotency_key(std::string(201, 'a'))) == "Idempotency-Key");
  CHECK(refused_field(idempotency_key("k\x01")) == "Idempotency-Key");
  CHECK(refused_field(idempotency_key("cl\xc3\xa9")) == "Idempotency-Key");
}

TEST_CASE("an order from a resolution's answer: resolution, rank, requirement, parameters") {
  auto request = create_order_request(
      R"({"resolution": "res_1", "rank": 2, "requirement": "https://acme.example/m.ttl#db",
          "parameters": {"connection_limit": 20, "name": "app", "ha": true}, "quantity": 3})");
  REQUIRE(request.is_ok());
  REQUIRE(request->has_answer());
  CHECK(request->answer().resolution_id() == "res_1");
  CHECK(request->answer().rank() == 2);
  CHECK(request->answer().requirement() == "https://acme.example/m.ttl#db");
  CHECK(request->parameters().at("connection_limit") == "20");
  CHECK(request->parameters().at("name") == "app");
  CHECK(request->parameters().at("ha") == "true");
  CHECK(request->quantity() == 3);
  CHECK(request->tenant().empty());  // the gateway sets it from the token, never the body
}

TEST_CASE("an order of an offering straight from the catalogue") {
  auto request = create_order_request(R"({"offering": "https://h.example/m.ttl#pg"})");
  REQUIRE(request.is_ok());
  CHECK(request->offering_id() == "https://h.example/m.ttl#pg");
  CHECK(request->parameters().empty());
  CHECK(request->quantity() == 0);  // delivery reads 0 as 1
}

TEST_CASE("every bad order body names its field") {
  CHECK(refused_field(create_order_request("")) == "body");
  CHECK(refused_field(create_order_request("[1]")) == "body");
  CHECK(refused_field(create_order_request("{}")) == "resolution");
  CHECK(refused_field(create_order_request(R"({"resolution": "r", "offering": "o", "rank": 1})")) ==
        "offering");
  CHECK(refused_field(create_order_request(R"({"resolution": "r"})")) == "rank");
  CHECK(refused_field(create_order_request(R"({"resolution": "r", "rank": 0})")) == "rank");
  CHECK(refused_field(create_order_request(R"({"resolution": "r", "rank": "1"})")) == "rank");
  CHECK(refused_field(create_order_request(R"({"resolution": "", "rank": 1})")) == "resolution");
  CHECK(refused_field(create_order_request(
            R"({"resolution": "r", "rank": 1, "requirement": 3})")) == "requirement");
  CHECK(refused_field(create_order_request(R"({"offering": "o", "rank": 1})")) == "rank");
  CHECK(refused_field(create_order_request(R"({"offering": "o", "quantity": 0})")) == "quantity");
  CHECK(refused_field(create_order_request(R"({"offering": "o", "parameters": []})")) ==
        "parameters");
  CHECK(refused_field(create_order_request(R"({"offering": "o", "parameters": {"a": {}}})")) ==
        "parameters.a");
  CHECK(refused_field(create_order_request(R"({"offering": "o", "parameters": {"a": null}})")) ==
        "parameters.a");
  CHECK(refused_field(create_order_request(R"({"offering": "o", "parameters": {"a": 1.5}})")) ==
        "parameters.a");
  CHECK(refused_field(create_order_request(R"({"offering": "o", "colour": "red"})")) == "colour");
}

TEST_CASE("a modification sets parameters, and null or empty removes one") {
  auto request =
      modify_order_request(R"({"parameters": {"connection_limit": 50, "old": null, "x": ""}})");
  REQUIRE(request.is_ok());
  CHECK(request->parameters().at("connection_limit") == "50");
  CHECK(request->parameters().at("old").empty());
  CHECK(request->parameters().at("x").empty());
  CHECK(refused_field(modify_order_request("{}")) == "parameters");
  CHECK(refused_field(modify_order_request(R"({"parameters": {}})")) == "parameters");
  CHECK(refused_field(modify_order_request(R"({"parameters": {"a": [1]}})")) == "parameters.a");
  CHECK(refused_field(modify_order_request(R"({"parameters": {}, "state": "x"})")) == "state");
}

TEST_CASE("the order list's query: state, provider, limit, cursor") {
  auto request = list_orders_request(
      params({{"state", "active"}, {"provider", "hexacloud"}, {"limit", "20"}, {"cursor", "c"}}));
  REQUIRE(request.is_ok());
  CHECK(request->state() == "active");
  CHECK(request->provider_id() == "hexacloud");
  CHECK(request->limit() == 20);
  CHECK(request->cursor() == "c");
  CHECK(list_orders_request({})->limit() == 0);
  CHECK(refused_field(list_orders_request(params({{"state", "running"}}))) == "state");
  CHECK(refused_field(list_orders_request(params({{"limit", "501"}}))) == "limit");
  CHECK(refused_field(list_orders_request(params({{"limit", "0"}}))) == "limit");
  CHECK(refused_field(list_orders_request(params({{"tenant", "acme"}}))) == "tenant");
}

TEST_CASE("include=secrets is the only parameter of an order read") {
  CHECK_FALSE(*include_secrets({}));
  CHECK(*include_secrets(params({{"include", "secrets"}})));
  CHECK(refused_field(include_secrets(params({{"include", "all"}}))) == "include");
  CHECK(refused_field(include_secrets(params({{"secrets", "1"}}))) == "secrets");
}

TEST_CASE("the bill's query: a real month, and whose bill the caller may see") {
  auto query = bill_query(params({{"consumer", "acme"}, {"period", "2026-11"}}));
  REQUIRE(query.is_ok());
  CHECK(query->consumer == "acme");
  CHECK(query->period == "2026-11");
  for (const char* bad : {"", "2026-13", "2026-00", "2026-1", "26-11", "2026/11", "2026-11-01",
                          "1969-12", "2026-1a"}) {
    INFO(bad);
    CHECK(refused_field(bill_query(params({{"period", bad}}))) == "period");
  }
  CHECK(refused_field(bill_query(params({{"consumer", "acme"}}))) == "period");
  CHECK(refused_field(bill_query(params({{"period", "2026-11"}, {"month", "x"}}))) == "month");

  CHECK(*bill_tenant("acme", "") == "acme");
  CHECK(*bill_tenant("acme", "acme") == "acme");
  auto other = bill_tenant("acme", "globex");
  REQUIRE_FALSE(other.is_ok());
  CHECK(other.status().code() == StatusCode::kPermissionDenied);
  CHECK(*bill_tenant("", "globex") == "globex");  // the admin names anyone
  CHECK(refused_field(bill_tenant("", "")) == "consumer");
}

TEST_CASE("an order as JSON: proto field names, version a number, secrets only when asked") {
  v1::Order order;
  order.set_id("ord_1");
  order.set_tenant("acme");
  order.set_state("active");
  order.set_version(7);
  order.set_has_secrets(true);
  (*order.mutable_outputs())["host"] = "db.example";
  (*order.mutable_secrets())["password"] = "s3cret";
  auto* transition = order.add_history();
  transition->set_from("");
  transition->set_to("requested");

  json plain = order_to_json(order, false);
  CHECK(plain["id"] == "ord_1");
  CHECK(plain["version"] == 7);
  CHECK(plain["has_secrets"] == true);
  CHECK(plain["outputs"]["host"] == "db.example");
  CHECK(plain["history"][0]["to"] == "requested");
  CHECK(plain["parameters"] == json::object());
  CHECK_FALSE(plain.contains("secrets"));
  CHECK(plain.dump().find("s3cret") == std::string::npos);

  json with = order_to_json(order, true);
  CHECK(with["secrets"]["password"] == "s3cret");

  v1::ListOrdersReply list;
  *list.add_orders() = order;
  json page = order_list_to_json(list);
  CHECK(page["orders"].size() == 1);
  CHECK(page["next_cursor"].is_null());
  CHECK(page.dump().find("s3cret") == std::string::npos);
  list.set_next_cursor("c2");
  CHECK(order_list_to_json(list)["next_cursor"] == "c2");
  CHECK(order_location("ord_1/x") == "/v1/orders/ord_1%2Fx");
}

TEST_CASE("a bill as JSON: lines, per-provider and per-currency totals, seconds as numbers") {
  v1::Bill bill;
  bill.set_tenant("acme");
  bill.set_period("2026-11");
  auto* line = bill.add_lines();
  line->set_provider_id("hexacloud");
  line->set_amount("12.50");
  line->set_billable_seconds(3600);
  auto* provider = bill.add_providers();
  provider->set_provider_id("hexacloud");
  provider->set_amount("12.50");
  auto* total = bill.add_totals();
  total->set_currency("EUR");
  total->set_amount("12.50");
  json body = bill_to_json(bill);
  CHECK(body["lines"][0]["billable_seconds"] == 3600);
  CHECK(body["lines"][0]["amount"] == "12.50");
  CHECK(body["providers"][0]["provider_id"] == "hexacloud");
  CHECK(body["totals"][0]["currency"] == "EUR");
  CHECK(body["final"] == false);
}
