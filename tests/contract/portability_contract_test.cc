// Portability's bus contract, checked from the outside: the subjects mpli.portability.v1.*, the
// messages of proto/mpli/portability/v1 and the typed errors (domain "portability"). Nothing of
// services/ is linked.
//   MPLI_CONTRACT_NATS_URL set   -> the bus there (portability, with delivery);
//   unset                        -> nats-server, PostgreSQL, mpli-delivery and mpli-portability
//                                   started for each test.
// A migration walked end to end (with delivery's tasks played by the test) is
// tests/portability/portability_driver_test.cc.
#include <catch2/catch.hpp>
#include <string>

#include "mpli/portability/v1/portability.pb.h"
#include "tests/contract/contract_subject.h"

using namespace mpli;
using namespace std::chrono_literals;
namespace v1 = mpli::portability::v1;
using contract::unique_token;

namespace {

class Portability : public contract::Subject {
 public:
  Portability() : contract::Subject("portability", {"mpli-delivery", "mpli-portability"}) {}
};

void check_typed_error(const Status& status, StatusCode code, const std::string& reason) {
  INFO(status.to_string());
  CHECK(status.code() == code);
  CHECK(status.detail("reason") == reason);
  CHECK(status.detail("domain") == "portability");
}

}  // namespace

TEST_CASE("unknown migration ids are MIGRATION_NOT_FOUND on every subject that takes one") {
  Portability portability;
  const std::string id = "mig_" + unique_token();
  v1::GetMigrationRequest get;
  get.set_id(id);
  check_typed_error(portability.call<v1::GetMigrationReply>("get_migration", get).status(),
                    StatusCode::kNotFound, "MIGRATION_NOT_FOUND");
  v1::CancelMigrationRequest cancel;
  cancel.set_id(id);
  cancel.set_tenant("acme");
  check_typed_error(portability.call<v1::CancelMigrationReply>("cancel_migration", cancel).status(),
                    StatusCode::kNotFound, "MIGRATION_NOT_FOUND");
  v1::GetReportRequest report;
  report.set_id(id);
  check_typed_error(portability.call<v1::GetReportReply>("get_report", report).status(),
                    StatusCode::kNotFound, "MIGRATION_NOT_FOUND");
}

TEST_CASE("list_migrations pages a tenant's migrations and names a bad field") {
  Portability portability;
  v1::ListMigrationsRequest list;
  list.set_tenant(unique_token());  // a tenant nobody used: nothing listed, no cursor
  auto listed = portability.call<v1::ListMigrationsReply>("list_migrations", list);
  INFO(listed.status().to_string());
  REQUIRE(listed.is_ok());
  CHECK(listed->migrations_size() == 0);
  CHECK(listed->next_cursor().empty());
  list.set_limit(501);
  auto too_many = portability.call<v1::ListMigrationsReply>("list_migrations", list);
  check_typed_error(too_many.status(), StatusCode::kInvalidArgument, "BAD_REQUEST");
  CHECK(too_many.status().detail("field") == "limit");
  list.set_limit(0);
  list.set_state("sideways");
  auto state = portability.call<v1::ListMigrationsReply>("list_migrations", list);
  check_typed_error(state.status(), StatusCode::kInvalidArgument, "BAD_REQUEST");
  CHECK(state.status().detail("field") == "state");
}

TEST_CASE("create_migration names a missing field and an unknown order") {
  Portability portability;
  v1::CreateMigrationRequest request;
  request.set_tenant("acme");
  request.set_order_id("ord_x");
  request.set_target_offering_id("https://beta.example/#pg");
  auto no_key = portability.call<v1::CreateMigrationReply>("create_migration", request);
  check_typed_error(no_key.status(), StatusCode::kInvalidArgument, "BAD_REQUEST");
  CHECK(no_key.status().detail("field") == "idempotency_key");
  request.set_idempotency_key(unique_token());
  request.set_mode("sideways");
  auto mode = portability.call<v1::CreateMigrationReply>("create_migration", request);
  check_typed_error(mode.status(), StatusCode::kInvalidArgument, "BAD_REQUEST");
  CHECK(mode.status().detail("field") == "mode");
  request.set_mode("");
  request.set_order_id("ord_" + unique_token());
  auto missing = portability.call<v1::CreateMigrationReply>("create_migration", request, 30s);
  check_typed_error(missing.status(), StatusCode::kNotFound, "ORDER_NOT_FOUND");
}

TEST_CASE("a body that is not the operation's message is INVALID_ARGUMENT") {
  Portability portability;
  const std::string truncated(
      "\x0a\x05"
      "ab",
      4);  // a length-delimited field announcing 5 bytes, then 2
  for (const char* operation :
       {"create_migration", "get_migration", "list_migrations", "cancel_migration", "get_report"}) {
    auto reply = portability.bus().request(portability.subject(operation), truncated, 10s);
    INFO(operation);
    REQUIRE_FALSE(reply.is_ok());
    CHECK(reply.status().code() == StatusCode::kInvalidArgument);
  }
}
