#include "services/delivery/domain/task.h"

#include <catch2/catch.hpp>

using namespace mpli;
using namespace mpli::delivery;

namespace {

v1::SubmitTaskRequest valid_request() {
  v1::SubmitTaskRequest request;
  request.set_id("tsk_0190f0c4-0000-7000-8000-000000000001");
  request.set_order_id("ord_1");
  request.set_offering_id("https://p.example/m#pg");
  request.set_operation("export");
  return request;
}

}  // namespace

TEST_CASE("a task runs a binding's operation or a migration operation, nothing else") {
  const std::vector<std::string> binding = {"deprovision", "modify", "provision"};
  CHECK(check_task_operation(binding, "modify", "o").is_ok());
  for (const char* op : {"export", "import", "catch_up", "freeze", "unfreeze", "finalize",
                         "checksum", "cleanup", "provision", "deprovision", "hash_probe"}) {
    CHECK(is_migration_operation(op));
    CHECK(check_task_operation({}, op, "o").is_ok());
  }
  Status refused = check_task_operation(binding, "reboot", "https://p.example/m#pg");
  CHECK(refused.code() == StatusCode::kFailedPrecondition);
  CHECK(refused.detail("reason") == "OPERATION_NOT_SUPPORTED");
  CHECK(refused.message().find("reboot") != std::string::npos);
  CHECK_FALSE(is_migration_operation("modify"));
}

TEST_CASE("a task submission names its missing or malformed field") {
  CHECK(check_submit_task(valid_request()).is_ok());
  auto field_of = [](const v1::SubmitTaskRequest& request) {
    Status status = check_submit_task(request);
    CHECK(status.code() == StatusCode::kInvalidArgument);
    CHECK(status.detail("reason") == "BAD_REQUEST");
    return status.detail("field");
  };
  auto request = valid_request();
  request.clear_id();
  CHECK(field_of(request) == "id");
  request = valid_request();
  request.set_id("ord_x");
  CHECK(field_of(request) == "id");
  request = valid_request();
  request.clear_order_id();
  CHECK(field_of(request) == "order_id");
  request = valid_request();
  request.clear_offering_id();
  CHECK(field_of(request) == "offering_id");
  request = valid_request();
  request.set_operation("export.>");  // would change the work subject
  CHECK(field_of(request) == "operation");
  request = valid_request();
  request.set_max_attempts(-1);
  CHECK(field_of(request) == "max_attempts");
  request = valid_request();
  request.set_deadline_seconds(-5);
  CHECK(field_of(request) == "deadline_seconds");
  request = valid_request();
  request.add_secrets()->set_prefix("source_");
  CHECK(field_of(request) == "secrets[0]");
}

TEST_CASE("the same task request hashes the same whatever the order of its maps") {
  auto a = valid_request();
  (*a.mutable_parameters())["mode"] = "online";
  (*a.mutable_parameters())["x"] = "1";
  auto b = valid_request();
  (*b.mutable_parameters())["x"] = "1";
  (*b.mutable_parameters())["mode"] = "online";
  CHECK(task_request_hash(a) == task_request_hash(b));
  (*b.mutable_parameters())["mode"] = "offline";
  CHECK(task_request_hash(a) != task_request_hash(b));
}

TEST_CASE("secret sources are merged with their prefixes") {
  std::map<std::string, std::string> into = {{"kept", "1"}};
  add_prefixed(into, {{"password", "p"}, {"user", "u"}}, "source_");
  add_prefixed(into, {{"token", "t"}}, "");
  CHECK(into == std::map<std::string, std::string>{
                    {"kept", "1"}, {"source_password", "p"}, {"source_user", "u"}, {"token", "t"}});
}

TEST_CASE("an attempt's end: success, a retry while attempts remain, else failure") {
  CHECK(decide_task_step(true, false, 5, 5) == TaskStep::kSucceeded);
  CHECK(decide_task_step(false, true, 1, 2) == TaskStep::kRetry);
  CHECK(decide_task_step(false, true, 2, 2) == TaskStep::kFailed);
  CHECK(decide_task_step(false, false, 1, 5) == TaskStep::kFailed);
}

TEST_CASE("a move needs an active order and is a no-op to where it is") {
  CHECK(check_move("active", "a", "b").value() == MoveAction::kMove);
  CHECK(check_move("active", "a", "a").value() == MoveAction::kAlreadyThere);
  // Idempotent even after the order moved on (a repeated cut-over of a finished migration).
  CHECK(check_move("deprovisioning", "b", "b").value() == MoveAction::kAlreadyThere);
  auto refused = check_move("provisioning", "a", "b");
  REQUIRE_FALSE(refused.is_ok());
  CHECK(refused.status().code() == StatusCode::kConflict);
  CHECK(refused.status().detail("reason") == "INVALID_STATE");
  CHECK(refused.status().detail("state") == "provisioning");
  CHECK(move_reason("nordwolke", "mig_1") == "moved to nordwolke by migration mig_1");
}

TEST_CASE("a move's parameters: the target's set, an empty value keeps the order's") {
  google::protobuf::Map<std::string, std::string> order;
  order["connection_limit"] = "20";
  order["region"] = "par1";
  google::protobuf::Map<std::string, std::string> target;
  target["region"] = "fra1";
  target["connection_limit"] = "";
  merge_move_parameters(order, target);
  CHECK(order.at("connection_limit") == "20");
  CHECK(order.at("region") == "fra1");
}
