// Delivery's bus contract, checked from the outside: the subjects mpli.delivery.v1.* (orders),
// the messages of proto/mpli/delivery/v1, the typed errors, the work protocol on MPLI_WORK
// (WorkItem JSON to worker-<provider>, WorkUpdate JSON back), the order_changed events, and
// portability's subjects (submit_task, get_task, move_order; task_finished events).
// Nothing of services/ is linked.
//   MPLI_CONTRACT_NATS_URL set   -> the bus there (delivery, with discovery, trust, resolver);
//   unset                        -> nats-server, PostgreSQL and our binaries started per test.
#include <google/protobuf/util/json_util.h>

#include <catch2/catch.hpp>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "libs/bus/jetstream.h"
#include "mpli/delivery/v1/delivery.pb.h"
#include "tests/contract/contract_subject.h"

using namespace mpli;
using namespace std::chrono_literals;
namespace v1 = mpli::delivery::v1;
using contract::unique_manifest;
using contract::unique_token;

namespace {

class Delivery : public contract::Subject {
 public:
  Delivery()
      : contract::Subject("delivery",
                          {"mpli-discovery", "mpli-trust", "mpli-resolver", "mpli-delivery"}) {
    // Orders need discovery (and the resolver) on the same bus: wait for it too.
    testing::wait_until(
        [&] {
          auto reply = bus().request("mpli.discovery.v1.health", "", 1s);
          common::v1::HealthReply health;
          return reply.is_ok() && health.ParseFromString(reply->data) && health.status() == "ok";
        },
        60s, "discovery answers its health with status ok");
  }

  Result<v1::CreateOrderReply> create(const std::string& tenant, const std::string& key,
                                      const std::string& offering,
                                      const std::string& limit = "10") {
    v1::CreateOrderRequest request;
    request.set_tenant(tenant);
    request.set_idempotency_key(key);
    request.set_offering_id(offering);
    (*request.mutable_parameters())["connection_limit"] = limit;
    return call<v1::CreateOrderReply>("create_order", request, 30s);
  }

  Result<v1::Order> get(const std::string& id, const std::string& tenant) {
    v1::GetOrderRequest request;
    request.set_id(id);
    request.set_tenant(tenant);
    auto reply = call<v1::GetOrderReply>("get_order", request);
    if (!reply) return reply.status();
    return reply->order();
  }
};

void check_typed_error(const Status& status, StatusCode code, const std::string& reason) {
  INFO(status.to_string());
  CHECK(status.code() == code);
  CHECK(status.detail("reason") == reason);
  CHECK(status.detail("domain") == "delivery");
}

std::string offering_of(const std::string& token) {
  return "https://" + token + ".example/.well-known/mpli.ttl#pg-snc";
}

}  // namespace

TEST_CASE("create_order from an offering hands a WorkItem to the provider's worker") {
  Delivery delivery;
  std::string token = unique_token();
  delivery.register_upload(unique_manifest(token));

  std::mutex mutex;
  std::vector<bus::Message> events;
  auto subscription = delivery.bus().subscribe("mpli.events.delivery.v1.order_changed",
                                               [&](const bus::Message& message) {
                                                 std::lock_guard<std::mutex> lock(mutex);
                                                 events.push_back(message);
                                               });
  REQUIRE(subscription.is_ok());
  REQUIRE(delivery.bus().flush(5s).is_ok());

  auto created = delivery.create("tenant-a", "key-1", offering_of(token));
  INFO(created.status().to_string());
  REQUIRE(created.is_ok());
  CHECK(created->created());
  const v1::Order& order = created->order();
  CHECK(order.id().rfind("ord_", 0) == 0);
  CHECK(order.tenant() == "tenant-a");
  CHECK(order.provider_id() == token);
  CHECK(order.offering_id() == offering_of(token));
  CHECK(order.worker_kind() == "postgresql");
  CHECK(order.price_amount() == "690.00");
  CHECK(order.price_currency() == "EUR");
  CHECK(order.price_unit() == "MON");
  CHECK(order.idempotency_key() == "key-1");
  CHECK((order.state() == "accepted" || order.state() == "provisioning"));
  REQUIRE(order.history_size() >= 2);
  CHECK(order.history(0).from().empty());
  CHECK(order.history(0).to() == "requested");

  // The same key and request: the same order, not created again.
  auto again = delivery.create("tenant-a", "key-1", offering_of(token));
  REQUIRE(again.is_ok());
  CHECK_FALSE(again->created());
  CHECK(again->order().id() == order.id());

  // The worker's side: WorkItem JSON on mpli.work.v1.<provider>.provision.
  std::unique_ptr<bus::PullConsumer> worker;
  testing::wait_until(
      [&] {
        auto bound = bus::PullConsumer::bind(delivery.bus(), "MPLI_WORK", "worker-" + token);
        if (bound.is_ok()) worker = std::move(bound).value();
        return worker != nullptr;
      },
      30s, "delivery creates the consumer worker-" + token);
  std::optional<v1::WorkItem> item;
  testing::wait_until(
      [&] {
        auto batch = worker->fetch(1, 500ms);
        if (!batch.is_ok() || batch->empty()) return false;
        const bus::Message& message = batch->front().message();
        CHECK(message.subject == "mpli.work.v1." + token + ".provision");
        CHECK(message.header("Content-Type") == "application/json");
        CHECK(message.data.find("\"order_id\"") != std::string::npos);
        v1::WorkItem parsed;
        REQUIRE(google::protobuf::util::JsonStringToMessage(message.data, &parsed).ok());
        CHECK(message.header("Nats-Msg-Id") ==
              parsed.work_id() + "." + std::to_string(parsed.attempt()));
        REQUIRE(batch->front().ack().is_ok());
        item = parsed;
        return true;
      },
      30s, "a provision work item arrives");
  CHECK(item->work_id().rfind("wrk_", 0) == 0);
  CHECK(item->attempt() == 1);
  CHECK(item->order_id() == order.id());
  CHECK(item->provider_id() == token);
  CHECK(item->operation() == "provision");
  CHECK(item->parameters().at("connection_limit") == "10");
  CHECK(item->tenant() == "tenant-a");

  // The worker's outcome, as JSON on mpli.work.v1.result.<provider>: the order becomes active.
  v1::WorkUpdate update;
  update.set_work_id(item->work_id());
  update.set_attempt(item->attempt());
  update.set_provider_id(token);
  update.set_kind("succeeded");
  update.set_sequence(1);
  (*update.mutable_outputs())["host"] = "db." + token + ".example";
  std::string json;
  google::protobuf::util::JsonPrintOptions print;
  print.preserve_proto_field_names = true;
  REQUIRE(google::protobuf::util::MessageToJsonString(update, &json, print).ok());
  REQUIRE(bus::publish_durable(delivery.bus(), "mpli.work.v1.result." + token, json,
                               item->work_id() + ".1.1", {{"Content-Type", "application/json"}})
              .is_ok());
  testing::wait_until(
      [&] {
        auto now = delivery.get(order.id(), "tenant-a");
        return now.is_ok() && now->state() == "active";
      },
      30s, "the order becomes active");
  auto active = delivery.get(order.id(), "tenant-a");
  REQUIRE(active.is_ok());
  CHECK(active->outputs().at("host") == "db." + token + ".example");
  CHECK(active->history().rbegin()->work_id() == item->work_id());

  // One order_changed event per transition, in an Envelope whose payload is OrderChanged.
  testing::wait_until(
      [&] {
        std::lock_guard<std::mutex> lock(mutex);
        return events.size() >= 4;
      },
      30s, "order_changed events for requested, accepted, provisioning and active");
  std::lock_guard<std::mutex> lock(mutex);
  std::vector<std::string> to;
  for (const auto& message : events) {
    common::v1::Envelope envelope;
    REQUIRE(envelope.ParseFromString(message.data));
    CHECK(envelope.type() == "mpli.events.delivery.v1.order_changed");
    CHECK(envelope.id() == message.header("Nats-Msg-Id"));
    v1::OrderChanged changed;
    REQUIRE(changed.ParseFromString(envelope.payload()));
    if (changed.order_id() != order.id()) continue;
    CHECK(changed.tenant() == "tenant-a");
    CHECK((changed.provider_id().empty() || changed.provider_id() == token));
    to.push_back(changed.to());
  }
  CHECK(to == std::vector<std::string>{"requested", "accepted", "provisioning", "active"});
}

TEST_CASE("typed errors: bad requests, unknown orders and offerings, states, reused keys") {
  Delivery delivery;
  std::string token = unique_token();
  delivery.register_upload(unique_manifest(token));

  auto no_tenant = delivery.create("", "k", offering_of(token));
  REQUIRE_FALSE(no_tenant.is_ok());
  check_typed_error(no_tenant.status(), StatusCode::kInvalidArgument, "BAD_REQUEST");
  CHECK(no_tenant.status().detail("field") == "tenant");

  auto unknown_offering = delivery.create("tenant-a", "k0", offering_of(token) + "-nope");
  REQUIRE_FALSE(unknown_offering.is_ok());
  check_typed_error(unknown_offering.status(), StatusCode::kNotFound, "OFFERING_NOT_FOUND");

  auto missing = delivery.get("ord_unknown", "");
  REQUIRE_FALSE(missing.is_ok());
  check_typed_error(missing.status(), StatusCode::kNotFound, "ORDER_NOT_FOUND");

  auto created = delivery.create("tenant-a", "k1", offering_of(token));
  INFO(created.status().to_string());
  REQUIRE(created.is_ok());
  const std::string id = created->order().id();
  auto reused = delivery.create("tenant-a", "k1", offering_of(token), "99");
  REQUIRE_FALSE(reused.is_ok());
  check_typed_error(reused.status(), StatusCode::kConflict, "IDEMPOTENCY_KEY_REUSED");

  // Another tenant's order is "not found", exactly like one that never existed.
  auto foreign = delivery.get(id, "tenant-b");
  REQUIRE_FALSE(foreign.is_ok());
  check_typed_error(foreign.status(), StatusCode::kNotFound, "ORDER_NOT_FOUND");
  CHECK(delivery.get(id, "").is_ok());

  // No worker answers here: the order is not active, so a modify does not fit its state.
  v1::ModifyOrderRequest modify;
  modify.set_id(id);
  modify.set_tenant("tenant-a");
  auto refused = delivery.call<v1::ModifyOrderReply>("modify_order", modify);
  REQUIRE_FALSE(refused.is_ok());
  check_typed_error(refused.status(), StatusCode::kConflict, "INVALID_STATE");
  CHECK((refused.status().detail("state") == "accepted" ||
         refused.status().detail("state") == "provisioning"));

  v1::ListOrdersRequest list;
  list.set_tenant("tenant-a");
  list.set_limit(1000);
  auto too_many = delivery.call<v1::ListOrdersReply>("list_orders", list);
  REQUIRE_FALSE(too_many.is_ok());
  check_typed_error(too_many.status(), StatusCode::kInvalidArgument, "BAD_REQUEST");
  CHECK(too_many.status().detail("field") == "limit");
  list.set_limit(10);
  auto listed = delivery.call<v1::ListOrdersReply>("list_orders", list);
  REQUIRE(listed.is_ok());
  REQUIRE(listed->orders_size() >= 1);
  CHECK(listed->orders(0).id() == id);

  // A body that is not the operation's message.
  const std::string truncated(
      "\x0a\x05"
      "ab",
      4);
  for (const char* operation : {"create_order", "get_order", "list_orders", "modify_order",
                                "delete_order", "submit_task", "get_task", "move_order"}) {
    INFO(operation);
    auto reply = delivery.bus().request(delivery.subject(operation), truncated, 10s);
    REQUIRE_FALSE(reply.is_ok());
    CHECK(reply.status().code() == StatusCode::kInvalidArgument);
  }
}

TEST_CASE("submit_task hands a task's WorkItem to the worker, task_finished and get_task answer") {
  Delivery delivery;
  std::string token = unique_token();
  delivery.register_upload(unique_manifest(token));
  std::mutex mutex;
  std::vector<bus::Message> events;
  auto subscription = delivery.bus().subscribe("mpli.events.delivery.v1.task_finished",
                                               [&](const bus::Message& message) {
                                                 std::lock_guard<std::mutex> lock(mutex);
                                                 events.push_back(message);
                                               });
  REQUIRE(subscription.is_ok());
  REQUIRE(delivery.bus().flush(5s).is_ok());

  auto created = delivery.create("tenant-a", "task-key", offering_of(token));
  INFO(created.status().to_string());
  REQUIRE(created.is_ok());
  const std::string order_id = created->order().id();

  v1::SubmitTaskRequest submit;
  submit.set_id("tsk_" + unique_token());
  submit.set_migration_id("mig_contract");
  submit.set_order_id(order_id);
  submit.set_offering_id(offering_of(token));
  submit.set_operation("checksum");
  auto submitted = delivery.call<v1::SubmitTaskReply>("submit_task", submit, 30s);
  INFO(submitted.status().to_string());
  REQUIRE(submitted.is_ok());
  CHECK(submitted->created());
  CHECK(submitted->task().id() == submit.id());
  CHECK(submitted->task().state() == "running");
  CHECK(submitted->task().order_id() == order_id);
  auto again = delivery.call<v1::SubmitTaskReply>("submit_task", submit, 30s);
  REQUIRE(again.is_ok());
  CHECK_FALSE(again->created());
  auto reused_request = submit;
  reused_request.set_operation("export");
  auto reused = delivery.call<v1::SubmitTaskReply>("submit_task", reused_request, 30s);
  REQUIRE_FALSE(reused.is_ok());
  check_typed_error(reused.status(), StatusCode::kConflict, "TASK_ID_REUSED");

  // The worker's side: the order's provision and the task's checksum, in any order.
  std::unique_ptr<bus::PullConsumer> worker;
  testing::wait_until(
      [&] {
        auto bound = bus::PullConsumer::bind(delivery.bus(), "MPLI_WORK", "worker-" + token);
        if (bound.is_ok()) worker = std::move(bound).value();
        return worker != nullptr;
      },
      30s, "delivery creates the consumer worker-" + token);
  std::optional<v1::WorkItem> item;
  testing::wait_until(
      [&] {
        auto batch = worker->fetch(1, 500ms);
        if (!batch.is_ok() || batch->empty()) return false;
        v1::WorkItem parsed;
        REQUIRE(google::protobuf::util::JsonStringToMessage(batch->front().message().data, &parsed)
                    .ok());
        REQUIRE(batch->front().ack().is_ok());
        if (parsed.task_id().empty()) return false;
        CHECK(batch->front().message().subject == "mpli.work.v1." + token + ".checksum");
        item = parsed;
        return true;
      },
      30s, "the task's work item arrives");
  CHECK(item->task_id() == submit.id());
  CHECK(item->migration_id() == "mig_contract");
  CHECK(item->order_id() == order_id);
  CHECK(item->tenant() == "tenant-a");

  v1::WorkUpdate update;
  update.set_work_id(item->work_id());
  update.set_attempt(item->attempt());
  update.set_provider_id(token);
  update.set_kind("succeeded");
  update.set_sequence(1);
  (*update.mutable_outputs())["verification"] = "[]";
  (*update.mutable_secrets())["token"] = "contract-secret";
  std::string json;
  google::protobuf::util::JsonPrintOptions print;
  print.preserve_proto_field_names = true;
  REQUIRE(google::protobuf::util::MessageToJsonString(update, &json, print).ok());
  REQUIRE(bus::publish_durable(delivery.bus(), "mpli.work.v1.result." + token, json,
                               item->work_id() + ".1.1", {{"Content-Type", "application/json"}})
              .is_ok());
  std::optional<v1::TaskFinished> finished;
  testing::wait_until(
      [&] {
        std::lock_guard<std::mutex> lock(mutex);
        for (const auto& message : events) {
          common::v1::Envelope envelope;
          REQUIRE(envelope.ParseFromString(message.data));
          CHECK(envelope.type() == "mpli.events.delivery.v1.task_finished");
          CHECK(message.data.find("contract-secret") == std::string::npos);
          v1::TaskFinished event;
          REQUIRE(event.ParseFromString(envelope.payload()));
          if (event.task_id() == submit.id()) finished = event;
        }
        return finished.has_value();
      },
      30s, "task_finished for the task");
  CHECK(finished->state() == "succeeded");
  CHECK(finished->outputs().at("verification") == "[]");
  CHECK(finished->migration_id() == "mig_contract");

  v1::GetTaskRequest get;
  get.set_id(submit.id());
  get.set_include_secrets(true);
  auto task = delivery.call<v1::GetTaskReply>("get_task", get);
  REQUIRE(task.is_ok());
  CHECK(task->task().state() == "succeeded");
  CHECK(task->task().secrets().at("token") == "contract-secret");
}

TEST_CASE("typed errors of submit_task, get_task and move_order") {
  Delivery delivery;
  std::string token = unique_token();
  delivery.register_upload(unique_manifest(token));

  v1::SubmitTaskRequest submit;
  auto no_id = delivery.call<v1::SubmitTaskReply>("submit_task", submit);
  REQUIRE_FALSE(no_id.is_ok());
  check_typed_error(no_id.status(), StatusCode::kInvalidArgument, "BAD_REQUEST");
  CHECK(no_id.status().detail("field") == "id");

  submit.set_id("tsk_" + unique_token());
  submit.set_order_id("ord_unknown");
  submit.set_offering_id(offering_of(token));
  submit.set_operation("export");
  auto no_order = delivery.call<v1::SubmitTaskReply>("submit_task", submit);
  REQUIRE_FALSE(no_order.is_ok());
  check_typed_error(no_order.status(), StatusCode::kNotFound, "ORDER_NOT_FOUND");

  v1::GetTaskRequest get;
  get.set_id("tsk_unknown");
  auto no_task = delivery.call<v1::GetTaskReply>("get_task", get);
  REQUIRE_FALSE(no_task.is_ok());
  check_typed_error(no_task.status(), StatusCode::kNotFound, "TASK_NOT_FOUND");

  auto created = delivery.create("tenant-a", "move-key", offering_of(token));
  REQUIRE(created.is_ok());
  submit.set_order_id(created->order().id());
  submit.set_operation("reboot");
  auto unsupported = delivery.call<v1::SubmitTaskReply>("submit_task", submit, 30s);
  REQUIRE_FALSE(unsupported.is_ok());
  check_typed_error(unsupported.status(), StatusCode::kFailedPrecondition,
                    "OPERATION_NOT_SUPPORTED");
  submit.set_operation("export");
  submit.add_secrets()->set_order_id(created->order().id());  // no secrets before provisioning
  auto no_secrets = delivery.call<v1::SubmitTaskReply>("submit_task", submit, 30s);
  REQUIRE_FALSE(no_secrets.is_ok());
  check_typed_error(no_secrets.status(), StatusCode::kFailedPrecondition,
                    "SECRET_SOURCE_NOT_FOUND");

  v1::MoveOrderRequest move;
  move.set_order_id("ord_unknown");
  move.set_target_offering_id(offering_of(token));
  auto no_move = delivery.call<v1::MoveOrderReply>("move_order", move);
  REQUIRE_FALSE(no_move.is_ok());
  check_typed_error(no_move.status(), StatusCode::kNotFound, "ORDER_NOT_FOUND");
  // Not active yet (no worker answers here): a move does not fit its state.
  move.set_order_id(created->order().id());
  move.set_target_offering_id(offering_of(token) + "-other");
  auto not_active = delivery.call<v1::MoveOrderReply>("move_order", move);
  REQUIRE_FALSE(not_active.is_ok());
  check_typed_error(not_active.status(), StatusCode::kConflict, "INVALID_STATE");
  move.clear_target_offering_id();
  auto no_target = delivery.call<v1::MoveOrderReply>("move_order", move);
  REQUIRE_FALSE(no_target.is_ok());
  check_typed_error(no_target.status(), StatusCode::kInvalidArgument, "BAD_REQUEST");
  CHECK(no_target.status().detail("field") == "target_offering_id");
}
