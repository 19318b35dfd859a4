// /v1/migrations' request shapes and answers: each bad input names its field; int64 values
// arrive as JSON numbers.
#include "services/gateway/domain/migration_json.h"

#include <catch2/catch.hpp>

using namespace mpli;
using namespace mpli::gateway;
namespace v1 = mpli::portability::v1;

namespace {

std::string field_of(const Status& status) {
  REQUIRE_FALSE(status.is_ok());
  CHECK(status.code() == StatusCode::kInvalidArgument);
  return status.detail("field");
}

}  // namespace

TEST_CASE("a migration request names the order and the target, optionally mode and parameters") {
  auto request = create_migration_request(
      R"({"order_id": "ord_1", "target_offering_id": "https://p.example/m#pg", "mode": "offline",
          "target_parameters": {"connection_limit": 20, "ssl": true, "name": "db"}})");
  REQUIRE(request.is_ok());
  CHECK(request->order_id() == "ord_1");
  CHECK(request->target_offering_id() == "https://p.example/m#pg");
  CHECK(request->mode() == "offline");
  CHECK(request->target_parameters().at("connection_limit") == "20");
  CHECK(request->target_parameters().at("ssl") == "true");
  CHECK(request->target_parameters().at("name") == "db");
  auto minimal = create_migration_request(R"({"order_id": "ord_1", "target_offering_id": "t"})");
  REQUIRE(minimal.is_ok());
  CHECK(minimal->mode().empty());
}

TEST_CASE("a bad migration request names its field") {
  CHECK(field_of(create_migration_request("[]").status()) == "body");
  CHECK(field_of(create_migration_request(R"({"target_offering_id": "t"})").status()) ==
        "order_id");
  CHECK(field_of(create_migration_request(R"({"order_id": "o"})").status()) ==
        "target_offering_id");
  CHECK(field_of(
            create_migration_request(R"({"order_id": " ", "target_offering_id": "t"})").status()) ==
        "order_id");
  CHECK(field_of(create_migration_request(
                     R"({"order_id": "o", "target_offering_id": "t", "mode": "fast"})")
                     .status()) == "mode");
  CHECK(field_of(
            create_migration_request(
                R"({"order_id": "o", "target_offering_id": "t", "target_parameters": {"a": []}})")
                .status()) == "target_parameters.a");
  CHECK(field_of(create_migration_request(
                     R"({"order_id": "o", "target_offering_id": "t", "target": "x"})")
                     .status()) == "target");
}

TEST_CASE("the migration list takes state, order_id, limit and cursor only") {
  auto list = list_migrations_request(
      {{"state", "rolled_back"}, {"order_id", "ord_1"}, {"limit", "10"}, {"cursor", "c"}});
  REQUIRE(list.is_ok());
  CHECK(list->state() == "rolled_back");
  CHECK(list->order_id() == "ord_1");
  CHECK(list->limit() == 10);
  CHECK(list->cursor() == "c");
  CHECK(field_of(list_migrations_request({{"state", "running"}}).status()) == "state");
  CHECK(field_of(list_migrations_request({{"limit", "0"}}).status()) == "limit");
  CHECK(field_of(list_migrations_request({{"limit", "501"}}).status()) == "limit");
  CHECK(field_of(list_migrations_request({{"order", "ord_1"}}).status()) == "order");
}

TEST_CASE("a migration's int64 fields are JSON numbers at every depth") {
  v1::Migration migration;
  migration.set_id("mig_1");
  migration.set_version(3);
  migration.set_bytes_transferred(5000000000);
  migration.set_write_downtime_ms(-1);
  auto* step = migration.add_steps();
  step->set_name("exporting");
  step->set_duration_ms(1200);
  auto* check = migration.add_verification();
  check->set_source_rows(42);
  auto body = proto_to_json_with_numbers(migration);
  CHECK(body["version"] == 3);
  CHECK(body["bytes_transferred"] == 5000000000);
  CHECK(body["write_downtime_ms"] == -1);
  CHECK(body["steps"][0]["duration_ms"] == 1200);
  CHECK(body["steps"][0]["bytes"] == 0);
  CHECK(body["verification"][0]["source_rows"] == 42);
  CHECK(body["id"] == "mig_1");

  v1::ListMigrationsReply reply;
  *reply.add_migrations() = migration;
  auto page = migration_list_to_json(reply);
  CHECK(page["migrations"][0]["version"] == 3);
  CHECK(page["next_cursor"].is_null());
  reply.set_next_cursor("c2");
  CHECK(migration_list_to_json(reply)["next_cursor"] == "c2");
  CHECK(migration_location("mig 1") == "/v1/migrations/mig%201");
}
