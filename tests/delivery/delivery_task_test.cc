// Tasks and the cut-over end to end over the real services (nats-server, PostgreSQL,
// mpli-discovery, mpli-delivery): the test plays portability (submit_task, get_task,
// move_order) and the providers' workers (WorkItems in, WorkUpdates out, as JSON).
#include <google/protobuf/util/json_util.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <ctime>
#include <fstream>
#include <mutex>
#include <optional>
#include <pqxx/pqxx>
#include <string>

#include "libs/bus/call.h"
#include "libs/bus/jetstream.h"
#include "libs/testing/environment.h"
#include "libs/testing/examples.h"
#include "mpli/common/v1/envelope.pb.h"
#include "mpli/delivery/v1/delivery.pb.h"
#include "mpli/discovery/v1/discovery.pb.h"
#include "tests/delivery/test_worker.h"

using namespace mpli;
using namespace std::chrono_literals;
namespace dv1 = mpli::delivery::v1;
using mpli::delivery::test::TestWorker;

namespace {

const std::string kHexacloudPg = "https://hexacloud.example/.well-known/mpli.ttl#pg-snc";

class Hub {
 public:
  Hub() : nats_(dir_.path()), pg_(dir_.path()) {
    std::string key_file = dir_.path() + "/delivery.key";
    std::ofstream(key_file) << std::string(64, '5') << "\n";
    chmod(key_file.c_str(), 0600);
    std::map<std::string, std::string> env = {{"MPLI_NATS_URL", nats_.url()},
                                              {"MPLI_DATABASE_URL", pg_.dsn()}};
    processes_.push_back(std::make_unique<process::ChildProcess>(
        testing::start_binary("mpli-discovery", env, dir_.path())));
    env["MPLI_DELIVERY_SECRET_KEY_FILE"] = key_file;
    env["MPLI_WORK_BACKOFF_BASE"] = "100ms";
    env["MPLI_WORK_BACKOFF_MAX"] = "200ms";
    processes_.push_back(std::make_unique<process::ChildProcess>(
        testing::start_binary("mpli-delivery", env, dir_.path())));
    bus::ConnectOptions options;
    options.url = nats_.url();
    auto connection = bus::Connection::connect(options);
    REQUIRE(connection.is_ok());
    bus_ = std::move(connection).value();
    for (const char* service : {"discovery", "delivery"}) {
      testing::wait_until(
          [&] {
            auto reply = bus_->request(std::string("mpli.") + service + ".v1.health", "", 1s);
            common::v1::HealthReply health;
            return reply.is_ok() && health.ParseFromString(reply->data) && health.status() == "ok";
          },
          60s, std::string(service) + " is healthy");
    }
    register_manifest(testing::hexacloud_without_prerequisites());
    register_manifest(testing::read_example("provider-nordwolke-de.ttl"));
    discovery::v1::OfferingFilter filter;
    filter.set_provider_id("nordwolke");
    filter.set_kind("ManagedPostgreSQL");
    auto offerings = bus::call<discovery::v1::ListOfferingsReply>(
        *bus_, "mpli.discovery.v1.list_offerings", filter, 10s);
    REQUIRE(offerings.is_ok());
    REQUIRE(offerings->offerings_size() > 0);
    nordwolke_pg_ = offerings->offerings(0).id();
  }

  bus::Connection& bus() { return *bus_; }
  const std::string& nordwolke_pg() const { return nordwolke_pg_; }

  // An active order at Hexacloud with secrets, driven there by `worker`.
  template <typename Worker>
  dv1::Order active_order(Worker& worker, const std::string& key) {
    dv1::CreateOrderRequest request;
    request.set_tenant("acme");
    request.set_idempotency_key(key);
    request.set_offering_id(kHexacloudPg);
    (*request.mutable_parameters())["connection_limit"] = "20";
    auto created =
        bus::call<dv1::CreateOrderReply>(*bus_, "mpli.delivery.v1.create_order", request, 30s);
    INFO(created.status().to_string());
    REQUIRE(created.is_ok());
    auto provision = worker.next();
    REQUIRE(provision.operation() == "provision");
    worker.answer(provision, "succeeded", {{"host", "db.hexacloud.example"}},
                  {{"password", "source-password"}});
    std::optional<dv1::Order> active;
    testing::wait_until(
        [&] {
          auto order = get_order(created->order().id());
          if (order.is_ok() && order->state() == "active") active = *order;
          return active.has_value();
        },
        30s, "the order becomes active");
    return *active;
  }

  Result<dv1::Order> get_order(const std::string& id, bool secrets = false) {
    dv1::GetOrderRequest request;
    request.set_id(id);
    request.set_tenant("acme");
    request.set_include_secrets(secrets);
    auto reply = bus::call<dv1::GetOrderReply>(*bus_, "mpli.delivery.v1.get_order", request, 10s);
    if (!reply) return reply.status();
    return reply->order();
  }
  Result<dv1::SubmitTaskReply> submit(const dv1::SubmitTaskRequest& request) {
    return bus::call<dv1::SubmitTaskReply>(*bus_, "mpli.delivery.v1.submit_task", request, 30s);
  }
  Result<dv1::Task> get_task(const std::string& id, bool secrets) {
    dv1::GetTaskRequest request;
    request.set_id(id);
    request.set_include_secrets(secrets);
    auto reply = bus::call<dv1::GetTaskReply>(*bus_, "mpli.delivery.v1.get_task", request, 10s);
    if (!reply) return reply.status();
    return reply->task();
  }
  Result<dv1::Order> move(const dv1::MoveOrderRequest& request) {
    auto reply = bus::call<dv1::MoveOrderReply>(*bus_, "mpli.delivery.v1.move_order", request, 30s);
    if (!reply) return reply.status();
    return reply->order();
  }

  void sql(const std::string& statements) {
    pqxx::connection c(pg_.dsn());
    pqxx::work tx(c);
    tx.exec(statements);
    tx.commit();
  }

 private:
  void register_manifest(const std::string& turtle) {
    discovery::v1::RegisterProviderRequest request;
    request.set_manifest_turtle(turtle);
    auto registered = bus::call<discovery::v1::RegisterProviderReply>(
        *bus_, "mpli.discovery.v1.register_provider", request, 30s);
    INFO(registered.status().to_string());
    REQUIRE(registered.is_ok());
  }

  testing::TempDir dir_;
  testing::TestNats nats_;
  testing::TestPostgres pg_;
  std::vector<std::unique_ptr<process::ChildProcess>> processes_;
  std::unique_ptr<bus::Connection> bus_;
  std::string nordwolke_pg_;
};

// task_finished events as they arrive (core subscription on the JetStream subject).
class FinishedTasks {
 public:
  explicit FinishedTasks(Hub& hub) {
    auto subscription = hub.bus().subscribe("mpli.events.delivery.v1.task_finished",
                                            [this](const bus::Message& message) {
                                              std::lock_guard<std::mutex> lock(mutex_);
                                              raw_.push_back(message.data);
                                            });
    REQUIRE(subscription.is_ok());
    subscription_ = std::move(subscription).value();
    REQUIRE(hub.bus().flush(5s).is_ok());
  }

  // The event of `task_id`, once it came; its raw bytes in `raw`.
  dv1::TaskFinished wait_for(const std::string& task_id, std::string* raw = nullptr) {
    std::optional<dv1::TaskFinished> found;
    testing::wait_until(
        [&] {
          std::lock_guard<std::mutex> lock(mutex_);
          for (const auto& data : raw_) {
            common::v1::Envelope envelope;
            REQUIRE(envelope.ParseFromString(data));
            CHECK(envelope.type() == "mpli.events.delivery.v1.task_finished");
            dv1::TaskFinished event;
            REQUIRE(event.ParseFromString(envelope.payload()));
            if (event.task_id() != task_id) continue;
            found = event;
            if (raw != nullptr) *raw = data;
          }
          return found.has_value();
        },
        30s, "task_finished for " + task_id);
    return *found;
  }

 private:
  std::mutex mutex_;
  std::vector<std::string> raw_;
  std::unique_ptr<bus::Subscription> subscription_;
};

dv1::SubmitTaskRequest export_task(const std::string& id, const dv1::Order& order) {
  dv1::SubmitTaskRequest request;
  request.set_id(id);
  request.set_migration_id("mig_1");
  request.set_order_id(order.id());
  request.set_offering_id(order.offering_id());
  request.set_operation("export");
  (*request.mutable_parameters())["mode"] = "offline";
  (*request.mutable_outputs())["database"] = "acme_db";
  auto* source = request.add_secrets();
  source->set_order_id(order.id());
  source->set_prefix("source_");
  return request;
}

void check_reason(const Status& status, StatusCode code, const std::string& reason) {
  INFO(status.to_string());
  CHECK(status.code() == code);
  CHECK(status.detail("reason") == reason);
}

}  // namespace

TEST_CASE("a task's work item reaches its provider's worker, and its outcome comes back") {
  Hub hub;
  TestWorker hexacloud(hub.bus(), "hexacloud");
  FinishedTasks finished(hub);
  dv1::Order order = hub.active_order(hexacloud, "task-order");

  const std::string task_id = "tsk_0190f0c4-1111-7000-8000-000000000001";
  auto submitted = hub.submit(export_task(task_id, order));
  INFO(submitted.status().to_string());
  REQUIRE(submitted.is_ok());
  CHECK(submitted->created());
  CHECK(submitted->task().state() == "running");
  CHECK(submitted->task().provider_id() == "hexacloud");
  CHECK(submitted->task().tenant() == "acme");
  CHECK(submitted->task().worker_kind() == "postgresql");
  CHECK(submitted->task().secrets().empty());

  // The worker's side: the item on mpli.work.v1.hexacloud.export, with the order's secrets.
  auto item = hexacloud.next();
  CHECK(item.operation() == "export");
  CHECK(item.task_id() == task_id);
  CHECK(item.migration_id() == "mig_1");
  CHECK(item.order_id() == order.id());
  CHECK(item.tenant() == "acme");
  CHECK(item.parameters().at("mode") == "offline");
  CHECK(item.outputs().at("database") == "acme_db");
  CHECK(item.secrets().size() == 1);
  CHECK(item.secrets().at("source_password") == "source-password");

  SECTION("the same submission is the same task, another one with that id a conflict") {
    auto again = hub.submit(export_task(task_id, order));
    REQUIRE(again.is_ok());
    CHECK_FALSE(again->created());
    CHECK(again->task().id() == task_id);
    auto other = export_task(task_id, order);
    (*other.mutable_parameters())["mode"] = "online";
    auto reused = hub.submit(other);
    REQUIRE_FALSE(reused.is_ok());
    check_reason(reused.status(), StatusCode::kConflict, "TASK_ID_REUSED");
  }

  SECTION("success: task_finished without secrets, get_task with them when asked") {
    hexacloud.answer(item, "succeeded", {{"migration_user", "mig_acme"}},
                     {{"migration_password", "very-secret-mig"}});
    std::string raw;
    auto event = finished.wait_for(task_id, &raw);
    CHECK(event.state() == "succeeded");
    CHECK(event.migration_id() == "mig_1");
    CHECK(event.order_id() == order.id());
    CHECK(event.operation() == "export");
    CHECK(event.outputs().at("migration_user") == "mig_acme");
    CHECK(raw.find("very-secret-mig") == std::string::npos);

    auto plain = hub.get_task(task_id, false);
    REQUIRE(plain.is_ok());
    CHECK(plain->state() == "succeeded");
    CHECK(plain->attempts() == 1);
    CHECK(plain->secrets().empty());
    CHECK_FALSE(plain->finished_at().empty());
    auto with = hub.get_task(task_id, true);
    REQUIRE(with.is_ok());
    CHECK(with->secrets().at("migration_password") == "very-secret-mig");
    // The order is untouched by its task.
    auto still = hub.get_order(order.id());
    REQUIRE(still.is_ok());
    CHECK(still->state() == "active");
    CHECK(still->version() == order.version());

    // A later task takes the earlier task's secrets under its own prefix.
    auto import = export_task("tsk_0190f0c4-1111-7000-8000-000000000002", order);
    import.set_operation("import");
    import.clear_secrets();
    import.add_secrets()->set_task_id(task_id);
    import.mutable_secrets(0)->set_prefix("source_");
    auto second = hub.submit(import);
    INFO(second.status().to_string());
    REQUIRE(second.is_ok());
    auto import_item = hexacloud.next();
    CHECK(import_item.task_id() == import.id());
    CHECK(import_item.secrets().at("source_migration_password") == "very-secret-mig");
  }

  SECTION("a retryable failure is retried, the last attempt's failure finishes the task") {
    hexacloud.answer(item, "failed", {}, {}, /*retryable=*/true);
    auto retried = hexacloud.next();  // max_attempts 0: delivery's default (5)
    CHECK(retried.work_id() == item.work_id());
    CHECK(retried.attempt() == 2);
    CHECK(retried.secrets().at("source_password") == "source-password");
    hexacloud.answer(retried, "failed", {}, {}, /*retryable=*/false);
    auto event = finished.wait_for(task_id);
    CHECK(event.state() == "failed");
    CHECK_FALSE(event.retryable());
    auto task = hub.get_task(task_id, true);
    REQUIRE(task.is_ok());
    CHECK(task->state() == "failed");
    CHECK(task->attempts() == 2);
    CHECK(task->secrets().empty());
  }
}

TEST_CASE("task submissions that cannot run are refused and leave nothing behind") {
  Hub hub;
  TestWorker hexacloud(hub.bus(), "hexacloud");
  FinishedTasks finished(hub);
  dv1::Order order = hub.active_order(hexacloud, "refused-order");

  SECTION("a secret source without secrets") {
    auto request = export_task("tsk_0190f0c4-2222-7000-8000-000000000001", order);
    request.mutable_secrets(0)->set_task_id("tsk_0190f0c4-2222-7000-8000-00000000ffff");
    auto refused = hub.submit(request);
    REQUIRE_FALSE(refused.is_ok());
    check_reason(refused.status(), StatusCode::kFailedPrecondition, "SECRET_SOURCE_NOT_FOUND");
    auto task = hub.get_task(request.id(), false);
    REQUIRE_FALSE(task.is_ok());
    check_reason(task.status(), StatusCode::kNotFound, "TASK_NOT_FOUND");
  }
  SECTION("an operation neither the binding nor a migration has") {
    auto request = export_task("tsk_0190f0c4-2222-7000-8000-000000000002", order);
    request.set_operation("reboot");
    auto refused = hub.submit(request);
    REQUIRE_FALSE(refused.is_ok());
    check_reason(refused.status(), StatusCode::kFailedPrecondition, "OPERATION_NOT_SUPPORTED");
  }
  SECTION("an unknown order") {
    auto request = export_task("tsk_0190f0c4-2222-7000-8000-000000000003", order);
    request.set_order_id("ord_none");
    auto refused = hub.submit(request);
    REQUIRE_FALSE(refused.is_ok());
    check_reason(refused.status(), StatusCode::kNotFound, "ORDER_NOT_FOUND");
  }
}

TEST_CASE("move_order moves an order to the target, and its bill splits at the move") {
  Hub hub;
  TestWorker hexacloud(hub.bus(), "hexacloud");
  TestWorker nordwolke(hub.bus(), "nordwolke");
  FinishedTasks finished(hub);
  dv1::Order order = hub.active_order(hexacloud, "moved-order");

  // The target's provisioning task (portability's provisioning_target step).
  dv1::SubmitTaskRequest provision;
  provision.set_id("tsk_0190f0c4-3333-7000-8000-000000000001");
  provision.set_migration_id("mig_7");
  provision.set_order_id(order.id());
  provision.set_offering_id(hub.nordwolke_pg());
  provision.set_operation("provision");
  (*provision.mutable_parameters())["connection_limit"] = "20";
  auto submitted = hub.submit(provision);
  INFO(submitted.status().to_string());
  REQUIRE(submitted.is_ok());
  CHECK(submitted->task().provider_id() == "nordwolke");
  auto item = nordwolke.next();
  CHECK(item.operation() == "provision");
  CHECK(item.secrets().empty());
  nordwolke.answer(item, "succeeded", {{"host", "db.nordwolke.example"}},
                   {{"password", "target-password"}});
  CHECK(finished.wait_for(provision.id()).state() == "succeeded");

  dv1::MoveOrderRequest move;
  move.set_order_id(order.id());
  move.set_migration_id("mig_7");
  move.set_target_offering_id(hub.nordwolke_pg());
  (*move.mutable_outputs())["host"] = "db.nordwolke.example";
  move.set_secrets_from_task(provision.id());
  (*move.mutable_parameters())["connection_limit"] = "";
  auto moved = hub.move(move);
  INFO(moved.status().to_string());
  REQUIRE(moved.is_ok());
  CHECK(moved->provider_id() == "nordwolke");
  CHECK(moved->offering_id() == hub.nordwolke_pg());
  CHECK(moved->state() == "active");
  CHECK(moved->price_amount() == "149.00");
  CHECK(moved->artifact() == "pg-cluster-fra1");
  CHECK(moved->outputs().at("host") == "db.nordwolke.example");
  CHECK(moved->parameters().at("connection_limit") == "20");
  CHECK(moved->version() == order.version() + 1);
  REQUIRE(moved->history_size() > 0);
  const auto& last = *moved->history().rbegin();
  CHECK(last.from() == "active");
  CHECK(last.to() == "active");
  CHECK(last.reason() == "moved to nordwolke by migration mig_7");
  auto with_secrets = hub.get_order(order.id(), true);
  REQUIRE(with_secrets.is_ok());
  CHECK(with_secrets->secrets().at("password") == "target-password");

  // Again: already there, unchanged.
  auto again = hub.move(move);
  REQUIRE(again.is_ok());
  CHECK(again->version() == moved->version());

  // The order lived 600 s at Hexacloud, of which 360 s active before the move, then at
  // Nordwolke since: the history is backdated so that the bill has whole seconds to split.
  hub.sql(
      "UPDATE delivery.order_transitions SET at = date_trunc('second', now()) - interval '700 s' "
      "WHERE order_id = '" +
      order.id() +
      "' AND to_state <> 'active';"
      "UPDATE delivery.order_transitions SET at = date_trunc('second', now()) - interval '600 s' "
      "WHERE order_id = '" +
      order.id() +
      "' AND from_state = 'provisioning';"
      "UPDATE delivery.order_transitions SET at = date_trunc('second', now()) - interval '240 s' "
      "WHERE order_id = '" +
      order.id() +
      "' AND from_state = 'active';"
      "UPDATE delivery.placements SET from_at = date_trunc('second', now()) - interval '700 s', "
      "until_at = date_trunc('second', now()) - interval '240 s' "
      "WHERE order_id = '" +
      order.id() +
      "' AND until_at IS NOT NULL;"
      "UPDATE delivery.placements SET from_at = date_trunc('second', now()) - interval '240 s' "
      "WHERE order_id = '" +
      order.id() + "' AND until_at IS NULL;");

  auto now = std::time(nullptr) - 240;  // the month of the move
  std::tm utc{};
  gmtime_r(&now, &utc);
  char period[8];
  std::strftime(period, sizeof period, "%Y-%m", &utc);
  dv1::GetBillRequest request;
  request.set_tenant("acme");
  request.set_period(period);
  auto bill = bus::call<dv1::GetBillReply>(hub.bus(), "mpli.delivery.v1.get_bill", request, 10s);
  INFO(bill.status().to_string());
  REQUIRE(bill.is_ok());
  REQUIRE(bill->bill().lines_size() == 2);
  const auto& before = bill->bill().lines(0);
  const auto& after = bill->bill().lines(1);
  CHECK(before.provider_id() == "hexacloud");
  CHECK(before.order_id() == order.id());
  CHECK(before.unit_price() == "690.00");
  CHECK(before.billable_seconds() == 360);
  CHECK(after.provider_id() == "nordwolke");
  CHECK(after.order_id() == order.id());
  CHECK(after.unit_price() == "149.00");
  CHECK(after.billable_seconds() >= 240);
  CHECK(after.billable_seconds() < 240 + 120);  // the time the test took since the backdating
}
