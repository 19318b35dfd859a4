// Orders end to end over the real services (nats-server, PostgreSQL, mpli-discovery, mpli-trust,
// mpli-resolver, mpli-delivery). The provider's worker is a loop in the test: it binds to the
// worker-<provider> consumer delivery created, reads WorkItems as JSON and answers WorkUpdates
// as JSON, the way a worker in any language would.
#include <google/protobuf/util/json_util.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <fstream>
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
#include "mpli/resolver/v1/resolver.pb.h"
#include "tests/delivery/test_worker.h"

using namespace mpli;
using namespace std::chrono_literals;
namespace dv1 = mpli::delivery::v1;
namespace rv1 = mpli::resolver::v1;
using mpli::delivery::test::TestWorker;

namespace {

const char* const kBase = "https://hexacloud.example/.well-known/mpli.ttl";
const std::string kPgOffering = std::string(kBase) + "#pg-snc";

class Hub {
 public:
  explicit Hub(std::map<std::string, std::string> delivery_settings = {})
      : nats_(dir_.path()), pg_(dir_.path()) {
    key_file_ = dir_.path() + "/delivery.key";
    std::ofstream(key_file_) << std::string(64, '7') << "\n";
    chmod(key_file_.c_str(), 0600);
    std::map<std::string, std::string> env = {{"MPLI_NATS_URL", nats_.url()},
                                              {"MPLI_DATABASE_URL", pg_.dsn()}};
    for (const char* binary : {"mpli-discovery", "mpli-trust", "mpli-resolver"}) {
      processes_.push_back(
          std::make_unique<process::ChildProcess>(testing::start_binary(binary, env, dir_.path())));
    }
    auto delivery_env = env;
    delivery_env["MPLI_DELIVERY_SECRET_KEY_FILE"] = key_file_;
    for (const auto& [key, value] : delivery_settings) delivery_env[key] = value;
    processes_.push_back(std::make_unique<process::ChildProcess>(
        testing::start_binary("mpli-delivery", delivery_env, dir_.path())));
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
    discovery::v1::RegisterProviderRequest request;
    request.set_manifest_turtle(testing::hexacloud_without_prerequisites());
    auto registered = bus::call<discovery::v1::RegisterProviderReply>(
        *bus_, "mpli.discovery.v1.register_provider", request, 30s);
    INFO(registered.status().to_string());
    REQUIRE(registered.is_ok());
  }

  bus::Connection& bus() { return *bus_; }

  Result<dv1::CreateOrderReply> create(const dv1::CreateOrderRequest& request) {
    return bus::call<dv1::CreateOrderReply>(*bus_, "mpli.delivery.v1.create_order", request, 30s);
  }
  dv1::CreateOrderReply create_from_offering(const std::string& tenant, const std::string& key,
                                             const std::string& offering) {
    dv1::CreateOrderRequest request;
    request.set_tenant(tenant);
    request.set_idempotency_key(key);
    request.set_offering_id(offering);
    (*request.mutable_parameters())["connection_limit"] = "20";
    auto reply = create(request);
    INFO(reply.status().to_string());
    REQUIRE(reply.is_ok());
    return *reply;
  }
  Result<dv1::Order> get(const std::string& id, const std::string& tenant, bool secrets = false) {
    dv1::GetOrderRequest request;
    request.set_id(id);
    request.set_tenant(tenant);
    request.set_include_secrets(secrets);
    auto reply = bus::call<dv1::GetOrderReply>(*bus_, "mpli.delivery.v1.get_order", request, 10s);
    if (!reply) return reply.status();
    return reply->order();
  }
  Result<dv1::Order> modify(const std::string& id, const std::string& tenant,
                            const std::map<std::string, std::string>& parameters = {}) {
    dv1::ModifyOrderRequest request;
    request.set_id(id);
    request.set_tenant(tenant);
    for (const auto& [key, value] : parameters) (*request.mutable_parameters())[key] = value;
    auto reply =
        bus::call<dv1::ModifyOrderReply>(*bus_, "mpli.delivery.v1.modify_order", request, 10s);
    if (!reply) return reply.status();
    return reply->order();
  }
  Result<dv1::Order> remove(const std::string& id, const std::string& tenant) {
    dv1::DeleteOrderRequest request;
    request.set_id(id);
    request.set_tenant(tenant);
    auto reply =
        bus::call<dv1::DeleteOrderReply>(*bus_, "mpli.delivery.v1.delete_order", request, 10s);
    if (!reply) return reply.status();
    return reply->order();
  }
  std::string state_of(const std::string& id) {
    auto order = get(id, "");
    return order.is_ok() ? order->state() : order.status().to_string();
  }
  void wait_for_state(const std::string& id, const std::string& state) {
    testing::wait_until([&] { return state_of(id) == state; }, 30s,
                        "order " + id + " reaches " + state + " (now " + state_of(id) + ")");
  }

  rv1::Resolution resolve(const std::string& tenant) {
    std::optional<rv1::Resolution> resolution;
    testing::wait_until(
        [&] {
          rv1::ResolveRequest request;
          request.set_manifest(testing::two_vms_consumer("hexacloud"));
          request.set_tenant(tenant);
          auto reply =
              bus::call<rv1::ResolveReply>(*bus_, "mpli.resolver.v1.resolve", request, 30s);
          if (reply.is_ok() && reply->resolution().satisfiable()) resolution = reply->resolution();
          return resolution.has_value();
        },
        60s, "the resolver answers the consumer from Hexacloud's virtual machine");
    return *resolution;
  }

  std::string sql_text(const std::string& sql) {
    pqxx::connection c(pg_.dsn());
    pqxx::nontransaction tx(c);
    auto row = tx.exec1(sql);
    return row[0].is_null() ? "" : row[0].as<std::string>();
  }

 private:
  testing::TempDir dir_;
  testing::TestNats nats_;
  testing::TestPostgres pg_;
  std::string key_file_;
  std::vector<std::unique_ptr<process::ChildProcess>> processes_;
  std::unique_ptr<bus::Connection> bus_;
};

std::vector<std::string> states_of(const dv1::Order& order) {
  std::vector<std::string> states;
  for (const auto& t : order.history()) states.push_back(t.to());
  return states;
}

}  // namespace

TEST_CASE("an order from an offering is provisioned, modified and deleted by its worker") {
  Hub hub;
  auto created = hub.create_from_offering("acme", "order-1", kPgOffering);
  CHECK(created.created());
  const dv1::Order& order = created.order();
  CHECK(order.id().rfind("ord_", 0) == 0);
  CHECK(order.state() == "provisioning");
  CHECK(order.tenant() == "acme");
  CHECK(order.provider_id() == "hexacloud");
  CHECK(order.worker_kind() == "postgresql");
  CHECK(order.artifact() == "snc-pg-par1");
  CHECK(order.price_amount() == "690.00");
  CHECK(order.price_currency() == "EUR");
  CHECK(order.price_unit() == "MON");
  CHECK(order.quantity() == 1);
  CHECK(states_of(order) == std::vector<std::string>{"requested", "accepted", "provisioning"});

  SECTION("the same key and request is the same order, another request a conflict") {
    auto again = hub.create_from_offering("acme", "order-1", kPgOffering);
    CHECK_FALSE(again.created());
    CHECK(again.order().id() == order.id());
    dv1::CreateOrderRequest other;
    other.set_tenant("acme");
    other.set_idempotency_key("order-1");
    other.set_offering_id(kPgOffering);
    (*other.mutable_parameters())["connection_limit"] = "99";
    auto reused = hub.create(other);
    REQUIRE_FALSE(reused.is_ok());
    CHECK(reused.status().code() == StatusCode::kConflict);
    CHECK(reused.status().detail("reason") == "IDEMPOTENCY_KEY_REUSED");
    // Another tenant may use the same key for its own order.
    auto theirs = hub.create_from_offering("globex", "order-1", kPgOffering);
    CHECK(theirs.created());
    CHECK(theirs.order().id() != order.id());
  }

  SECTION("a request that does not fit the state is a conflict naming the state") {
    auto refused = hub.modify(order.id(), "acme");
    REQUIRE_FALSE(refused.is_ok());
    CHECK(refused.status().code() == StatusCode::kConflict);
    CHECK(refused.status().detail("reason") == "INVALID_STATE");
    CHECK(refused.status().detail("state") == "provisioning");
  }

  SECTION("the worker drives it to active, a modify and a delete") {
    TestWorker worker(hub.bus(), "hexacloud");
    auto provision = worker.next();
    CHECK(provision.operation() == "provision");
    CHECK(provision.order_id() == order.id());
    CHECK(provision.attempt() == 1);
    CHECK(provision.worker_kind() == "postgresql");
    CHECK(provision.tenant() == "acme");
    CHECK(provision.parameters().at("connection_limit") == "20");
    CHECK(provision.deadline_unix_ms() > 0);
    worker.answer(provision, "progress");
    // Updates from another provider, or claiming another provider than their subject's, are
    // dropped: they are read before the real one (one stream, in order) and leave no trace.
    worker.answer_as("intruder", "intruder", provision, "succeeded", {{"forged", "1"}});
    worker.answer_as("hexacloud", "intruder", provision, "succeeded", {{"forged", "2"}});
    worker.answer_as("intruder", "hexacloud", provision, "failed");
    worker.answer(provision, "succeeded", {{"host", "db.hexacloud.example"}, {"port", "5432"}},
                  {{"password", "correct-horse"}});
    hub.wait_for_state(order.id(), "active");

    // Secrets: decrypted for the owner only; stored sealed.
    auto owner = hub.get(order.id(), "acme", true);
    REQUIRE(owner.is_ok());
    CHECK(owner->outputs().at("host") == "db.hexacloud.example");
    CHECK(owner->outputs().count("forged") == 0);
    CHECK(states_of(*owner) ==
          std::vector<std::string>{"requested", "accepted", "provisioning", "active"});
    CHECK(owner->has_secrets());
    CHECK(owner->secrets().at("password") == "correct-horse");
    auto admin = hub.get(order.id(), "", true);
    REQUIRE(admin.is_ok());
    CHECK(admin->has_secrets());
    CHECK(admin->secrets().empty());
    auto without = hub.get(order.id(), "acme", false);
    REQUIRE(without.is_ok());
    CHECK(without->secrets().empty());
    auto stranger = hub.get(order.id(), "globex", true);
    REQUIRE_FALSE(stranger.is_ok());
    CHECK(stranger.status().detail("reason") == "ORDER_NOT_FOUND");
    CHECK(hub.sql_text("SELECT position(convert_to('correct-horse', 'UTF8') in secrets_sealed) "
                       "FROM delivery.orders WHERE id = '" +
                       order.id() + "'") == "0");

    // Another tenant cannot modify or delete it either.
    auto foreign = hub.remove(order.id(), "globex");
    REQUIRE_FALSE(foreign.is_ok());
    CHECK(foreign.status().detail("reason") == "ORDER_NOT_FOUND");

    // Modify: the new parameters travel in the work item and become the order's on success.
    const std::map<std::string, std::string> fifty = {{"connection_limit", "50"}};
    auto modifying = hub.modify(order.id(), "acme", fifty);
    INFO(modifying.status().to_string());
    REQUIRE(modifying.is_ok());
    CHECK(modifying->state() == "modifying");
    auto change = worker.next();
    CHECK(change.operation() == "modify");
    CHECK(change.parameters().at("connection_limit") == "50");
    CHECK(change.outputs().at("host") == "db.hexacloud.example");
    worker.answer(change, "failed");
    hub.wait_for_state(order.id(), "active");
    auto after_failed_modify = hub.get(order.id(), "acme");
    REQUIRE(after_failed_modify.is_ok());
    CHECK(after_failed_modify->parameters().at("connection_limit") == "20");
    CHECK(after_failed_modify->history().rbegin()->reason().find("the test worker says no") !=
          std::string::npos);

    modifying = hub.modify(order.id(), "acme", fifty);
    REQUIRE(modifying.is_ok());
    change = worker.next();
    worker.answer(change, "succeeded");
    hub.wait_for_state(order.id(), "active");
    auto modified = hub.get(order.id(), "acme", true);
    REQUIRE(modified.is_ok());
    // For the record, not asserted (no timed assertions): modifying -> active through the relay,
    // the worker's stream, the test worker and the update consumer, from the history's clock.
    WARN("modify round trip (relay, worker, update applied): "
         << hub.sql_text("SELECT round(extract(epoch from (max(at) - min(at))) * 1000, 1) FROM "
                         "(SELECT at FROM delivery.order_transitions WHERE order_id = '" +
                         order.id() + "' ORDER BY seq DESC LIMIT 2) last_two")
         << " ms");
    CHECK(modified->parameters().at("connection_limit") == "50");
    CHECK(modified->secrets().at("password") == "correct-horse");  // kept across the modify

    // Delete: deprovision, then deleted; a repeated delete answers the order as it is.
    auto deleting = hub.remove(order.id(), "acme");
    REQUIRE(deleting.is_ok());
    CHECK(deleting->state() == "deprovisioning");
    auto deprovision = worker.next();
    CHECK(deprovision.operation() == "deprovision");
    worker.answer(deprovision, "succeeded");
    hub.wait_for_state(order.id(), "deleted");
    auto again = hub.remove(order.id(), "acme");
    REQUIRE(again.is_ok());
    CHECK(again->state() == "deleted");
    auto final_order = hub.get(order.id(), "acme");
    REQUIRE(final_order.is_ok());
    CHECK(states_of(*final_order) ==
          std::vector<std::string>{"requested", "accepted", "provisioning", "active", "modifying",
                                   "active", "modifying", "active", "deprovisioning", "deleted"});
    CHECK(final_order->version() == 10);
    // One OrderChanged event per transition went through the outbox.
    CHECK(hub.sql_text("SELECT count(*) FROM delivery.outbox WHERE subject = "
                       "'mpli.events.delivery.v1.order_changed'") == "10");
  }

  SECTION("a delete while provisioning runs when the provision ends") {
    TestWorker worker(hub.bus(), "hexacloud");
    auto marked = hub.remove(order.id(), "acme");
    REQUIRE(marked.is_ok());
    CHECK(marked->state() == "provisioning");
    CHECK(marked->deletion_requested());
    auto provision = worker.next();
    worker.answer(provision, "succeeded");
    hub.wait_for_state(order.id(), "deprovisioning");
    auto deprovision = worker.next();
    CHECK(deprovision.operation() == "deprovision");
    worker.answer(deprovision, "succeeded");
    hub.wait_for_state(order.id(), "deleted");
  }

  SECTION("list_orders pages newest first within the tenant") {
    std::vector<std::string> ids = {order.id()};
    for (int i = 2; i <= 5; ++i) {
      ids.push_back(
          hub.create_from_offering("acme", "order-" + std::to_string(i), kPgOffering).order().id());
    }
    hub.create_from_offering("globex", "order-x", kPgOffering);
    std::vector<std::string> seen;
    dv1::ListOrdersRequest request;
    request.set_tenant("acme");
    request.set_limit(2);
    do {
      auto page =
          bus::call<dv1::ListOrdersReply>(hub.bus(), "mpli.delivery.v1.list_orders", request, 10s);
      REQUIRE(page.is_ok());
      CHECK(page->orders_size() <= 2);
      for (const auto& o : page->orders()) {
        CHECK(o.tenant() == "acme");
        CHECK(o.history().empty());
        seen.push_back(o.id());
      }
      request.set_cursor(page->next_cursor());
    } while (!request.cursor().empty());
    CHECK(seen == std::vector<std::string>(ids.rbegin(), ids.rend()));
    dv1::ListOrdersRequest all;
    auto everyone =
        bus::call<dv1::ListOrdersReply>(hub.bus(), "mpli.delivery.v1.list_orders", all, 10s);
    REQUIRE(everyone.is_ok());
    CHECK(everyone->orders_size() == 6);
  }
}

TEST_CASE("an order from a resolution's answer is re-checked, and rejected once it fails") {
  Hub hub;
  rv1::Resolution resolution = hub.resolve("acme");
  dv1::CreateOrderRequest request;
  request.set_tenant("acme");
  request.set_idempotency_key("from-answer");
  request.mutable_answer()->set_resolution_id(resolution.id());
  request.mutable_answer()->set_rank(1);
  auto created = hub.create(request);
  INFO(created.status().to_string());
  REQUIRE(created.is_ok());
  const auto& assignment = resolution.answers(0).assignments(0);
  CHECK(created->order().state() == "provisioning");
  CHECK(created->order().offering_id() == assignment.offering());
  CHECK(created->order().provider_id() == "hexacloud");
  CHECK(created->order().quantity() == 2);  // the assignment's
  CHECK(created->order().resolution_id() == resolution.id());
  CHECK(created->order().worker_kind() == "disk-image");
  CHECK(created->order().price_amount() == "0.0620");  // exact, as the manifest writes it
  CHECK(created->order().price_unit() == "HUR");
  CHECK(created->order().history(1).reason() == "re-check passed");

  // Another tenant cannot order from acme's resolution.
  dv1::CreateOrderRequest stranger = request;
  stranger.set_tenant("globex");
  auto refused = hub.create(stranger);
  REQUIRE_FALSE(refused.is_ok());
  CHECK(refused.status().detail("reason") == "RESOLUTION_NOT_FOUND");

  // The provider's virtual machine shrinks below the requirement: the answer no longer holds,
  // and a new order from it is rejected with why.
  std::string shrunk = testing::hexacloud_without_prerequisites();
  const std::string vcpu = "mpli:vcpu 4 ;\n    mpli:memoryGiB 16 ;";
  size_t at = shrunk.find(vcpu);
  REQUIRE(at != std::string::npos);
  shrunk.replace(at, vcpu.size(), "mpli:vcpu 1 ;\n    mpli:memoryGiB 16 ;");
  discovery::v1::RegisterProviderRequest again;
  again.set_manifest_turtle(shrunk);
  auto registered = bus::call<discovery::v1::RegisterProviderReply>(
      hub.bus(), "mpli.discovery.v1.register_provider", again, 30s);
  INFO(registered.status().to_string());
  REQUIRE(registered.is_ok());
  std::string last;
  auto no_longer_holds = [&] {
    rv1::RecheckAnswerRequest recheck;
    recheck.set_resolution_id(resolution.id());
    recheck.set_rank(1);
    auto reply = bus::call<rv1::RecheckAnswerReply>(hub.bus(), "mpli.resolver.v1.recheck_answer",
                                                    recheck, 10s);
    last = reply.is_ok() ? (reply->holds() ? "holds" : "fails") : reply.status().to_string();
    return reply.is_ok() && !reply->holds();
  };
  try {
    testing::wait_until(no_longer_holds, 30s, "the resolver's index drops the deleted provider");
  } catch (const std::exception& e) {
    FAIL(e.what() << "; the last re-check: " << last);
  }
  request.set_idempotency_key("from-answer-2");
  auto rejected = hub.create(request);
  INFO(rejected.status().to_string());
  REQUIRE(rejected.is_ok());
  CHECK(rejected->order().state() == "rejected");
  REQUIRE(rejected->order().reasons_size() > 0);
  CHECK(states_of(rejected->order()) == std::vector<std::string>{"requested", "rejected"});
  // A rejected order is terminal: no delete, no modify.
  auto no_delete = hub.remove(rejected->order().id(), "acme");
  REQUIRE_FALSE(no_delete.is_ok());
  CHECK(no_delete.status().detail("state") == "rejected");
}

TEST_CASE("a work item past its deadline gets new attempts, then fails its order with a cleanup") {
  Hub hub({{"MPLI_WORK_DEADLINE", "1s"},
           {"MPLI_WORK_MAX_ATTEMPTS", "2"},
           {"MPLI_WORK_BACKOFF_BASE", "100ms"},
           {"MPLI_WORK_SCAN_INTERVAL", "200ms"}});
  auto created = hub.create_from_offering("acme", "slow", kPgOffering);
  TestWorker worker(hub.bus(), "hexacloud");
  auto first = worker.next();
  CHECK(first.attempt() == 1);
  // No answer: the deadline passes and a second attempt of the same work item comes.
  auto second = worker.next();
  CHECK(second.work_id() == first.work_id());
  CHECK(second.attempt() == 2);
  CHECK(second.deadline_unix_ms() > first.deadline_unix_ms());
  // A late failure of the first attempt changes nothing: it was given up already.
  worker.answer(first, "failed");
  // The last attempt passes its deadline too: failed, and a cleanup deprovision follows.
  auto cleanup = worker.next();
  CHECK(cleanup.operation() == "deprovision");
  CHECK(cleanup.work_id() != first.work_id());
  hub.wait_for_state(created.order().id(), "failed");
  worker.answer(cleanup, "succeeded");
  testing::wait_until(
      [&] {
        return hub.sql_text("SELECT state FROM delivery.work_items WHERE work_id = '" +
                            cleanup.work_id() + "'") == "succeeded";
      },
      30s, "the cleanup is recorded as done");
  auto failed = hub.get(created.order().id(), "acme");
  REQUIRE(failed.is_ok());
  CHECK(failed->state() == "failed");
  REQUIRE(failed->reasons_size() == 1);
  CHECK(failed->reasons(0).find("deadline") != std::string::npos);
  CHECK(hub.sql_text("SELECT purpose FROM delivery.work_items WHERE work_id = '" +
                     cleanup.work_id() + "'") == "cleanup");
}

TEST_CASE("an order a crash left requested is taken up by the recovery scanner") {
  Hub hub({{"MPLI_ORDERS_RECOVERY_AGE", "1s"}, {"MPLI_ORDERS_RECOVERY_INTERVAL", "200ms"}});
  // What a crash between the first commit and the re-check leaves: a requested order only.
  hub.sql_text(
      "INSERT INTO delivery.orders (id, tenant, state, offering_id, provider_id, quantity, "
      "idempotency_key, request_hash) VALUES ('ord_left_behind', 'acme', 'requested', '" +
      kPgOffering + "', '', 1, 'left', 'hash') RETURNING id");
  hub.wait_for_state("ord_left_behind", "provisioning");
  auto order = hub.get("ord_left_behind", "acme");
  REQUIRE(order.is_ok());
  CHECK(order->provider_id() == "hexacloud");
  CHECK(order->price_amount() == "690.00");
  TestWorker worker(hub.bus(), "hexacloud");
  auto provision = worker.next();
  CHECK(provision.order_id() == "ord_left_behind");
  worker.answer(provision, "succeeded");
  hub.wait_for_state("ord_left_behind", "active");
}
