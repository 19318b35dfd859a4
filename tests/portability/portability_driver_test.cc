// The portability service end to end on a real nats-server and PostgreSQL: mpli-portability is
// started as a binary, and the test plays delivery (get_order, submit_task, get_task,
// move_order and the task_finished events), discovery (get_offering) and the resolver
// (check_offering) by serving their subjects on the bus. Its "workers" finish tasks from a
// thread of the test, with outputs shaped as docs/migrations.md says.
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <condition_variable>
#include <csignal>
#include <deque>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "libs/bus/call.h"
#include "libs/core/clock.h"
#include "libs/testing/environment.h"
#include "mpli/common/v1/envelope.pb.h"
#include "mpli/delivery/v1/delivery.pb.h"
#include "mpli/discovery/v1/discovery.pb.h"
#include "mpli/portability/v1/portability.pb.h"
#include "mpli/resolver/v1/resolver.pb.h"

using namespace mpli;
using namespace std::chrono_literals;
namespace pv1 = mpli::portability::v1;
namespace dv1 = mpli::delivery::v1;

namespace {

const std::string kSource = "https://alpha.example/.well-known/mpli.ttl#pg";
const std::string kTarget = "https://beta.example/.well-known/mpli.ttl#pg";
const std::string kTargetSameProvider = "https://alpha.example/.well-known/mpli.ttl#pg-big";
const std::string kTargetPlainOnly = "https://gamma.example/.well-known/mpli.ttl#pg";
const std::string kTargetDiskWorker = "https://delta.example/.well-known/mpli.ttl#vm";

std::string offering_turtle(const std::string& iri, const std::string& exports,
                            const std::string& imports, const std::string& worker) {
  return "@prefix mpli: <https://w3id.org/mpli#> .\n@prefix schema: <https://schema.org/> .\n<" +
         iri + "> mpli:exportFormat " + exports + " ;\n  mpli:importFormat " + imports +
         " ;\n  mpli:delivery [ mpli:workerKind mpli:" + worker +
         " ; mpli:artifact \"pg-small\" ; mpli:supportsOperation mpli:Provision ] ;\n"
         "  mpli:price [ schema:price \"12.50\" ; schema:priceCurrency \"EUR\" ; "
         "schema:unitCode \"MON\" ] .\n";
}

// Map entries in key order: two encodings of one request compare equal.
std::string deterministic(const google::protobuf::Message& message) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream output(&bytes);
    google::protobuf::io::CodedOutputStream coded(&output);
    coded.SetSerializationDeterministic(true);
    message.SerializeToCodedStream(&coded);
  }
  return bytes;
}

struct Submission {
  std::string task_id;
  std::string key;  // "source:export", "target:import", ...
  dv1::SubmitTaskRequest request;
};

// Delivery, discovery and the resolver as the test plays them.
class Hub {
 public:
  // `scan_interval`: how often portability scans (and asks get_task); between scans only the
  // task_finished events move a migration.
  explicit Hub(std::string scan_interval = "300ms")
      : scan_interval_(std::move(scan_interval)), nats_(dir_.path()), pg_(dir_.path()) {
    bus::ConnectOptions options;
    options.url = nats_.url();
    options.name = "portability-test";
    auto connected = bus::Connection::connect(options);
    REQUIRE(connected.is_ok());
    bus_ = std::move(connected).value();
    REQUIRE(bus_->wait_connected(10s).is_ok());
    serve();
    start_portability();
    worker_ = std::thread([this] { work(); });
  }
  ~Hub() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    cv_.notify_all();
    worker_.join();
    if (portability_) portability_->stop(SIGTERM, 10s);
    subscriptions_.clear();
  }

  void start_portability() {
    portability_ = std::make_unique<process::ChildProcess>(
        testing::start_binary("mpli-portability",
                              {{"MPLI_NATS_URL", nats_.url()},
                               {"MPLI_DATABASE_URL", pg_.dsn()},
                               {"MPLI_MIGRATIONS_GRACE_PERIOD", "0s"},
                               {"MPLI_MIGRATIONS_SCAN_INTERVAL", scan_interval_},
                               {"MPLI_UPSTREAM_TIMEOUT", "3s"}},
                              dir_.path()));
    try {
      testing::wait_until(
          [&] {
            auto reply = bus_->request("mpli.portability.v1.health", "", 1s);
            common::v1::HealthReply health;
            return reply.is_ok() && health.ParseFromString(reply->data) && health.status() == "ok";
          },
          60s, "mpli-portability is healthy");
    } catch (...) {
      std::ifstream log(dir_.path() + "/mpli-portability.log");
      std::stringstream text;
      text << log.rdbuf();
      FAIL_CHECK("mpli-portability's log:\n" << text.str());
      throw;
    }
  }
  void kill_portability() { portability_->stop(SIGKILL, 5s); }

  // An active order of `tenant` at the source provider.
  std::string add_order(const std::string& tenant, const std::string& state = "active",
                        const std::string& resolution_id = "") {
    std::lock_guard<std::mutex> lock(mutex_);
    dv1::Order order;
    order.set_id("ord_" + std::to_string(++order_seq_));
    order.set_tenant(tenant);
    order.set_state(state);
    order.set_offering_id(kSource);
    order.set_offering_name("Alpha PG");
    order.set_provider_id("alpha");
    order.set_worker_kind("postgresql");
    order.set_resolution_id(resolution_id);
    order.set_requirement(resolution_id.empty() ? "" : "https://consumer.example/#db");
    order.set_quantity(1);
    (*order.mutable_parameters())["size"] = "small";
    (*order.mutable_outputs())["host"] = "db.alpha";
    (*order.mutable_outputs())["port"] = "5432";
    (*order.mutable_outputs())["database"] = "shop";
    (*order.mutable_outputs())["user"] = "shop_owner";
    orders_[order.id()] = order;
    return order.id();
  }

  // What the "workers" do with a task key: fail it, hold it (until released), or mismatch the
  // target's checksum.
  void fail(const std::string& key) {
    std::lock_guard<std::mutex> lock(mutex_);
    failing_.insert(key);
  }
  void hold(const std::string& key) {
    std::lock_guard<std::mutex> lock(mutex_);
    held_.insert(key);
  }
  void release(const std::string& key) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      held_.erase(key);
    }
    cv_.notify_all();
  }
  void mismatch_checksums() {
    std::lock_guard<std::mutex> lock(mutex_);
    mismatch_ = true;
  }
  // Both databases hold no table: each checksum task reports an empty list.
  void empty_databases() {
    std::lock_guard<std::mutex> lock(mutex_);
    empty_ = true;
  }
  // Drop every other task_finished event: the driver's get_task scan must pick them up.
  void drop_events() {
    std::lock_guard<std::mutex> lock(mutex_);
    drop_events_ = true;
  }

  std::vector<Submission> submissions(const std::string& migration_id) {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<Submission> out;
    for (const auto& s : submissions_) {
      if (s.request.migration_id() == migration_id) out.push_back(s);
    }
    return out;
  }
  // Keys in order of first submission (a resubmission of the same id is not a new task).
  std::vector<std::string> task_keys(const std::string& migration_id) {
    std::vector<std::string> keys;
    std::set<std::string> seen;
    for (const auto& s : submissions(migration_id)) {
      if (seen.insert(s.task_id).second) keys.push_back(s.key);
    }
    return keys;
  }
  std::vector<dv1::MoveOrderRequest> moves() {
    std::lock_guard<std::mutex> lock(mutex_);
    return moves_;
  }

  template <typename Reply>
  Result<Reply> call(const std::string& operation, const google::protobuf::Message& request) {
    return bus::call<Reply>(*bus_, "mpli.portability.v1." + operation, request, 20s);
  }
  Result<pv1::CreateMigrationReply> create(const std::string& tenant, const std::string& key,
                                           const std::string& order_id,
                                           const std::string& target = kTarget,
                                           const std::string& mode = "") {
    pv1::CreateMigrationRequest request;
    request.set_tenant(tenant);
    request.set_idempotency_key(key);
    request.set_order_id(order_id);
    request.set_target_offering_id(target);
    request.set_mode(mode);
    return call<pv1::CreateMigrationReply>("create_migration", request);
  }
  pv1::Migration get(const std::string& id, const std::string& tenant = "") {
    pv1::GetMigrationRequest request;
    request.set_id(id);
    request.set_tenant(tenant);
    auto reply = call<pv1::GetMigrationReply>("get_migration", request);
    INFO(reply.status().to_string());
    REQUIRE(reply.is_ok());
    return reply->migration();
  }
  pv1::Migration wait_state(const std::string& id, const std::string& state,
                            std::chrono::milliseconds within = 90s) {
    pv1::Migration last;
    try {
      testing::wait_until(
          [&] {
            last = get(id);
            return last.state() == state;
          },
          within, "migration " + id + " reaches " + state);
    } catch (...) {
      std::ifstream log(dir_.path() + "/mpli-portability.log");
      std::stringstream text;
      text << log.rdbuf();
      FAIL_CHECK("last seen:\n" << last.DebugString() << "\nlog:\n" << text.str());
      throw;
    }
    return last;
  }

 private:
  void serve() {
    auto add = [&](const std::string& subject, bus::Handler handler) {
      auto sub = bus_->serve(subject, "fake", std::move(handler));
      REQUIRE(sub.is_ok());
      subscriptions_.push_back(std::move(sub).value());
    };
    add("mpli.delivery.v1.get_order", [this](const bus::Message& m) -> Result<std::string> {
      dv1::GetOrderRequest request;
      request.ParseFromString(m.data);
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = orders_.find(request.id());
      if (it == orders_.end() ||
          (!request.tenant().empty() && it->second.tenant() != request.tenant())) {
        return Status(StatusCode::kNotFound, "no order " + request.id(),
                      {{"reason", "ORDER_NOT_FOUND"}, {"domain", "delivery"}});
      }
      dv1::GetOrderReply reply;
      *reply.mutable_order() = it->second;
      return reply.SerializeAsString();
    });
    add("mpli.delivery.v1.submit_task", [this](const bus::Message& m) -> Result<std::string> {
      dv1::SubmitTaskRequest request;
      request.ParseFromString(m.data);
      std::lock_guard<std::mutex> lock(mutex_);
      const std::string side = request.offering_id() == kSource ? "source" : "target";
      submissions_.push_back({request.id(), side + ":" + request.operation(), request});
      dv1::SubmitTaskReply reply;
      auto it = tasks_.find(request.id());
      if (it != tasks_.end()) {
        if (requests_[request.id()] != deterministic(request)) {
          return Status(StatusCode::kConflict, "task id reused",
                        {{"reason", "TASK_ID_REUSED"}, {"domain", "delivery"}});
        }
        *reply.mutable_task() = it->second;
        return reply.SerializeAsString();
      }
      dv1::Task task;
      task.set_id(request.id());
      task.set_migration_id(request.migration_id());
      task.set_order_id(request.order_id());
      task.set_offering_id(request.offering_id());
      task.set_operation(request.operation());
      *task.mutable_parameters() = request.parameters();
      task.set_provider_id(side == "source" ? "alpha" : "beta");
      task.set_state("running");
      tasks_[task.id()] = task;
      requests_[task.id()] = deterministic(request);
      queue_.push_back(task.id());
      cv_.notify_all();
      *reply.mutable_task() = task;
      reply.set_created(true);
      return reply.SerializeAsString();
    });
    add("mpli.delivery.v1.get_task", [this](const bus::Message& m) -> Result<std::string> {
      dv1::GetTaskRequest request;
      request.ParseFromString(m.data);
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = tasks_.find(request.id());
      if (it == tasks_.end()) {
        return Status(StatusCode::kNotFound, "no task " + request.id(),
                      {{"reason", "TASK_NOT_FOUND"}, {"domain", "delivery"}});
      }
      dv1::GetTaskReply reply;
      *reply.mutable_task() = it->second;
      return reply.SerializeAsString();
    });
    add("mpli.delivery.v1.move_order", [this](const bus::Message& m) -> Result<std::string> {
      dv1::MoveOrderRequest request;
      request.ParseFromString(m.data);
      std::lock_guard<std::mutex> lock(mutex_);
      moves_.push_back(request);
      dv1::Order& order = orders_[request.order_id()];
      order.set_offering_id(request.target_offering_id());
      order.set_provider_id("beta");
      *order.mutable_outputs() = request.outputs();
      dv1::MoveOrderReply reply;
      *reply.mutable_order() = order;
      return reply.SerializeAsString();
    });
    add("mpli.discovery.v1.get_offering", [](const bus::Message& m) -> Result<std::string> {
      discovery::v1::GetOfferingRequest request;
      request.ParseFromString(m.data);
      discovery::v1::GetOfferingReply reply;
      auto* o = reply.mutable_offering();
      o->set_id(request.id());
      const std::string both = "mpli:FormatPgDumpCustom , mpli:FormatPgLogicalReplication";
      if (request.id() == kSource) {
        o->set_provider_id("alpha");
        o->set_name("Alpha PG");
        reply.set_turtle(
            offering_turtle(request.id(), both, "mpli:FormatPgDumpCustom", "PostgresqlWorker"));
      } else if (request.id() == kTarget) {
        o->set_provider_id("beta");
        o->set_name("Beta PG");
        reply.set_turtle(
            offering_turtle(request.id(), both, "mpli:FormatPgDumpCustom", "PostgresqlWorker"));
      } else if (request.id() == kTargetSameProvider) {
        o->set_provider_id("alpha");
        o->set_name("Alpha PG big");
        reply.set_turtle(
            offering_turtle(request.id(), both, "mpli:FormatPgDumpCustom", "PostgresqlWorker"));
      } else if (request.id() == kTargetPlainOnly) {
        o->set_provider_id("gamma");
        o->set_name("Gamma PG");
        reply.set_turtle(offering_turtle(request.id(), "mpli:FormatSqlPlain", "mpli:FormatSqlPlain",
                                         "PostgresqlWorker"));
      } else if (request.id() == kTargetDiskWorker) {
        o->set_provider_id("delta");
        o->set_name("Delta VM");
        reply.set_turtle(offering_turtle(request.id(), "mpli:FormatQcow2", "mpli:FormatQcow2",
                                         "DiskImageWorker"));
      } else {
        return Status(StatusCode::kNotFound, "no offering " + request.id(),
                      {{"reason", "OFFERING_NOT_FOUND"}, {"domain", "discovery"}});
      }
      return reply.SerializeAsString();
    });
    add("mpli.resolver.v1.check_offering", [](const bus::Message& m) -> Result<std::string> {
      resolver::v1::CheckOfferingRequest request;
      request.ParseFromString(m.data);
      resolver::v1::CheckOfferingReply reply;
      if (request.resolution_id() == "res_fits") {
        reply.set_fits(true);
      } else {
        reply.set_fits(false);
        reply.add_reasons("the target's region is outside the EU");
      }
      return reply.SerializeAsString();
    });
  }

  // A checksum's output: two tables, or none (empty_); `bad` changes one table's checksum.
  std::string verification(bool bad) const {
    if (empty_) return "[]";
    return std::string(R"([{"name":"public.orders","rows":3,"checksum":")") +
           (bad ? "ffff" : "aaaa") + R"("},{"name":"public.items","rows":7,"checksum":"bbbb"}])";
  }

  dv1::TaskFinished finish(dv1::Task& task, const std::string& key) {
    const bool failing = failing_.count(key) > 0;
    task.set_state(failing ? "failed" : "succeeded");
    task.set_message(failing ? "worker: pg_restore exited 1" : "done");
    auto& out = *task.mutable_outputs();
    const std::string& op = task.operation();
    if (!failing) {
      if (op == "provision") {
        out["host"] = "db.beta";
        out["port"] = "5432";
        out["database"] = "shop";
        out["user"] = "owner";
      } else if (op == "export") {
        out["publication"] = "mpli_pub";
        out["migration_user"] = "mpli_mig";
      } else if (op == "import") {
        out["subscription"] = "mpli_sub";
        out["bytes"] = "4096";
        out["tables"] = "2";
        // Offline (given a method) the import checksums the target itself.
        if (task.parameters().count("method") > 0) out["verification"] = verification(mismatch_);
      } else if (op == "catch_up") {
        out["lag_bytes"] = "0";
      } else if (op == "freeze") {
        out["frozen_at"] = clock::now_rfc3339();
        out["lsn"] = "0/16B3748";
      } else if (op == "finalize") {
        out["sequences"] = "1";
        out["snapshot"] = "00000003-0000001B-1";
      } else if (op == "hash_probe") {
        out["row_hash_probe"] = "UTF8:-4711";  // both servers alike: row hashes compare
      } else if (op == "checksum") {
        out["verification"] = verification(mismatch_ && key == "target:checksum");
      }
    }
    task.set_finished_at(clock::now_rfc3339());
    dv1::TaskFinished event;
    event.set_task_id(task.id());
    event.set_migration_id(task.migration_id());
    event.set_order_id(task.order_id());
    event.set_provider_id(task.provider_id());
    event.set_operation(op);
    event.set_state(task.state());
    event.set_message(task.message());
    *event.mutable_outputs() = task.outputs();
    return event;
  }

  // The providers' workers: finish queued tasks unless held.
  void work() {
    std::unique_lock<std::mutex> lock(mutex_);
    int published = 0;
    while (!stopping_) {
      bool progressed = false;
      for (auto it = queue_.begin(); it != queue_.end(); ++it) {
        dv1::Task& task = tasks_[*it];
        const std::string key =
            (task.offering_id() == kSource ? "source:" : "target:") + task.operation();
        if (held_.count(key) > 0) continue;
        dv1::TaskFinished event = finish(task, key);
        queue_.erase(it);
        const bool drop = drop_events_ && (++published % 2 == 0);
        lock.unlock();
        if (!drop) {
          // As delivery's outbox publishes it: the event inside an envelope.
          common::v1::Envelope envelope;
          envelope.set_id(clock::now_rfc3339() + "-" + event.task_id());
          envelope.set_type("mpli.events.delivery.v1.task_finished");
          envelope.set_payload_type(event.GetTypeName());
          envelope.set_payload(event.SerializeAsString());
          (void)bus_->publish("mpli.events.delivery.v1.task_finished",
                              envelope.SerializeAsString());
        }
        lock.lock();
        progressed = true;
        break;
      }
      if (!progressed) cv_.wait_for(lock, 200ms);
    }
  }

  std::string scan_interval_;
  testing::TempDir dir_;
  testing::TestNats nats_;
  testing::TestPostgres pg_;
  std::unique_ptr<bus::Connection> bus_;
  std::vector<std::unique_ptr<bus::Subscription>> subscriptions_;
  std::unique_ptr<process::ChildProcess> portability_;
  std::thread worker_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stopping_ = false;
  int order_seq_ = 0;
  std::map<std::string, dv1::Order> orders_;
  std::map<std::string, dv1::Task> tasks_;
  std::map<std::string, std::string> requests_;
  std::deque<std::string> queue_;
  std::vector<Submission> submissions_;
  std::vector<dv1::MoveOrderRequest> moves_;
  std::set<std::string> failing_;
  std::set<std::string> held_;
  bool mismatch_ = false;
  bool empty_ = false;
  bool drop_events_ = false;
};

void check_error(const Status& status, StatusCode code, const std::string& reason) {
  INFO(status.to_string());
  CHECK(status.code() == code);
  CHECK(status.detail("reason") == reason);
  CHECK(status.detail("domain") == "portability");
}

std::vector<std::string> step_names(const pv1::Migration& m) {
  std::vector<std::string> out;
  for (const auto& step : m.steps()) out.push_back(step.name() + "=" + step.outcome());
  return out;
}

// `keys` without the two hash probes, after checking that each was submitted once, both in
// the export's wave (right after it).
std::vector<std::string> without_probes(std::vector<std::string> keys) {
  for (const char* probe : {"source:hash_probe", "target:hash_probe"}) {
    INFO(probe);
    CHECK(std::count(keys.begin(), keys.end(), probe) == 1);
    auto at = std::find(keys.begin(), keys.end(), "source:export");
    REQUIRE(at != keys.end());
    REQUIRE(at + 1 != keys.end());
    CHECK(*(at + 1) == probe);
    keys.erase(at + 1);
  }
  return keys;
}

}  // namespace

TEST_CASE("an online PostgreSQL migration walks every state to completed with a report") {
  Hub hub;
  hub.drop_events();  // half the events never arrive: the get_task scan finds those outcomes
  const std::string order = hub.add_order("acme");
  auto created = hub.create("acme", "k1", order);
  INFO(created.status().to_string());
  REQUIRE(created.is_ok());
  CHECK(created->created());
  const pv1::Migration& planned = created->migration();
  CHECK(planned.state() == "planned");
  CHECK(planned.mode() == "online");
  CHECK(planned.format() == "mpli:FormatPgLogicalReplication");
  CHECK(planned.source_provider_id() == "alpha");
  CHECK(planned.target_provider_id() == "beta");

  pv1::Migration done = hub.wait_state(planned.id(), "completed");
  CHECK(step_names(done) ==
        std::vector<std::string>{"provisioning_target=succeeded", "exporting=succeeded",
                                 "transferring=succeeded", "importing=succeeded",
                                 "verifying=succeeded", "cutting_over=succeeded",
                                 "decommissioning_source=succeeded"});
  std::vector<std::string> keys = without_probes(hub.task_keys(planned.id()));
  REQUIRE(keys.size() == 10);
  CHECK(std::vector<std::string>(keys.begin(), keys.begin() + 6) ==
        std::vector<std::string>{"target:provision", "source:export", "target:import",
                                 "target:catch_up", "source:freeze", "target:finalize"});
  CHECK(std::set<std::string>(keys.begin() + 6, keys.begin() + 8) ==
        std::set<std::string>{"source:checksum", "target:checksum"});
  CHECK(keys[8] == "source:cleanup");
  CHECK(keys[9] == "source:deprovision");

  // The import reaches the source with the export's migration password as source_*.
  std::string provision_id;
  std::string export_id;
  for (const auto& s : hub.submissions(planned.id())) {
    CHECK(s.task_id.rfind("tsk_", 0) == 0);
    if (s.key == "target:provision") provision_id = s.task_id;
    if (s.key == "source:export") export_id = s.task_id;
    // After the cut-over the target is compared as finalize pinned it.
    if (s.key == "target:checksum") {
      CHECK(s.request.parameters().at("snapshot") == "00000003-0000001B-1");
    }
    // Both servers' probes agreed: both checksums hash rows in the servers.
    if (s.key == "target:checksum" || s.key == "source:checksum") {
      CHECK(s.request.parameters().at("method") == "row-hash");
    }
    if (s.key == "target:import") {
      CHECK(s.request.parameters().at("publication") == "mpli_pub");
      CHECK(s.request.parameters().at("source_user") == "mpli_mig");
      CHECK(s.request.parameters().at("source_host") == "db.alpha");
      CHECK(s.request.outputs().at("host") == "db.beta");
      bool migration_password = false;
      for (const auto& secret : s.request.secrets()) {
        if (secret.task_id() == export_id && secret.prefix() == "source_") {
          migration_password = true;
        }
      }
      CHECK(migration_password);
    }
  }
  auto moves = hub.moves();
  REQUIRE_FALSE(moves.empty());
  CHECK(moves.back().order_id() == order);
  CHECK(moves.back().target_offering_id() == kTarget);
  CHECK(moves.back().secrets_from_task() == provision_id);
  CHECK(moves.back().outputs().at("host") == "db.beta");

  CHECK(done.write_downtime_ms() >= 0);
  CHECK(done.bytes_transferred() == 4096);
  CHECK(done.target_outputs().at("host") == "db.beta");
  CHECK_FALSE(done.cut_over_at().empty());

  pv1::GetReportRequest report_request;
  report_request.set_id(planned.id());
  report_request.set_tenant("acme");
  auto report = hub.call<pv1::GetReportReply>("get_report", report_request);
  INFO(report.status().to_string());
  REQUIRE(report.is_ok());
  const pv1::SwitchingReport& r = report->report();
  CHECK(r.outcome() == "completed");
  CHECK(r.source_offering_name() == "Alpha PG");
  CHECK(r.target_offering_name() == "Beta PG");
  CHECK(r.steps_size() == 7);
  CHECK(r.write_downtime_ms() >= 0);
  CHECK(r.verified());
  CHECK(r.verification_size() == 2);
  CHECK(r.terms().at("price_amount") == "12.50");
  CHECK(r.terms().at("price_currency") == "EUR");
  CHECK_FALSE(r.decommissioned_at().empty());
}

TEST_CASE("task_finished events alone drive a migration to completed (no scan between)") {
  // The first scan runs at start, the next an hour later: only the events (delivery's, in their
  // envelopes) and the wake-up on create can move this migration through its seven steps.
  Hub hub("1h");
  const std::string order = hub.add_order("acme");
  auto created = hub.create("acme", "k1", order);
  REQUIRE(created.is_ok());
  pv1::Migration done = hub.wait_state(created->migration().id(), "completed", 60s);
  CHECK(step_names(done).back() == "decommissioning_source=succeeded");
  CHECK(hub.moves().size() == 1);
}

TEST_CASE("a failing import rolls back with the cleanup tasks and ends rolled_back") {
  Hub hub;
  hub.fail("target:import");
  const std::string order = hub.add_order("acme");
  auto created = hub.create("acme", "k1", order);
  REQUIRE(created.is_ok());
  pv1::Migration m = hub.wait_state(created->migration().id(), "rolled_back");
  std::vector<std::string> keys = without_probes(hub.task_keys(m.id()));
  REQUIRE(keys.size() == 6);
  CHECK(std::vector<std::string>(keys.begin(), keys.begin() + 3) ==
        std::vector<std::string>{"target:provision", "source:export", "target:import"});
  CHECK(std::set<std::string>(keys.begin() + 3, keys.begin() + 5) ==
        std::set<std::string>{"source:cleanup", "target:cleanup"});
  CHECK(keys[5] == "target:deprovision");
  REQUIRE(m.reasons_size() >= 1);
  CHECK(m.reasons(0).find("import failed") != std::string::npos);
  CHECK(step_names(m).back() == "rolling_back=succeeded");
  CHECK(hub.moves().empty());  // the order never moved
}

TEST_CASE("an offline checksum mismatch unfreezes the source and rolls back") {
  Hub hub;
  hub.mismatch_checksums();
  const std::string order = hub.add_order("acme");
  auto created = hub.create("acme", "k1", order, kTarget, "offline");
  INFO(created.status().to_string());
  REQUIRE(created.is_ok());
  pv1::Migration m = hub.wait_state(created->migration().id(), "rolled_back");
  std::vector<std::string> keys = without_probes(hub.task_keys(m.id()));
  REQUIRE(keys.size() == 9);
  CHECK(std::vector<std::string>(keys.begin(), keys.begin() + 3) ==
        std::vector<std::string>{"target:provision", "source:freeze", "source:export"});
  // The source's checksum runs beside the import (the source is frozen from the export on),
  // and the import checksums the target itself: no target checksum task.
  CHECK(std::set<std::string>(keys.begin() + 3, keys.begin() + 5) ==
        std::set<std::string>{"target:import", "source:checksum"});
  CHECK(keys[5] == "source:unfreeze");
  CHECK(keys[8] == "target:deprovision");
  REQUIRE(m.verification_size() == 2);
  int unequal = 0;
  for (const auto& table : m.verification()) unequal += table.equal() ? 0 : 1;
  CHECK(unequal == 1);
  REQUIRE(m.reasons_size() >= 1);
  CHECK(m.reasons(0).find("public.orders: the checksums differ") != std::string::npos);
  CHECK(hub.moves().empty());
}

TEST_CASE("an empty database moves offline and verifies: no table on either side") {
  Hub hub;
  hub.empty_databases();
  const std::string order = hub.add_order("acme");
  auto created = hub.create("acme", "k1", order, kTarget, "offline");
  INFO(created.status().to_string());
  REQUIRE(created.is_ok());
  pv1::Migration m = hub.wait_state(created->migration().id(), "completed");
  CHECK(m.verification_size() == 0);
  CHECK(m.reasons_size() == 0);
  // Before, two empty lists never verified and the move rolled back.
  pv1::GetReportRequest report_request;
  report_request.set_id(m.id());
  report_request.set_tenant("acme");
  auto report = hub.call<pv1::GetReportReply>("get_report", report_request);
  REQUIRE(report.is_ok());
  CHECK(report->report().verified());
  CHECK(report->report().verification_size() == 0);
  CHECK(hub.moves().size() == 1);
}

TEST_CASE("an online checksum mismatch after the cut-over fails and keeps the source") {
  Hub hub;
  hub.mismatch_checksums();
  const std::string order = hub.add_order("acme");
  auto created = hub.create("acme", "k1", order);
  REQUIRE(created.is_ok());
  pv1::Migration m = hub.wait_state(created->migration().id(), "failed");
  std::vector<std::string> keys = without_probes(hub.task_keys(m.id()));
  // Moved (write downtime without the checksums), compared, and nothing of the source removed.
  REQUIRE(keys.size() == 8);
  CHECK(keys[5] == "target:finalize");
  CHECK(std::set<std::string>(keys.begin() + 6, keys.end()) ==
        std::set<std::string>{"source:checksum", "target:checksum"});
  CHECK(hub.moves().size() == 1);
  REQUIRE(m.reasons_size() >= 1);
  CHECK(m.reasons(0).find("after the cut-over") != std::string::npos);
  CHECK(m.reasons(0).find("public.orders: the checksums differ") != std::string::npos);
  CHECK(step_names(m).back() == "decommissioning_source=failed");
}

TEST_CASE("cancel before cut-over rolls back, after it is INVALID_STATE") {
  Hub hub;
  hub.hold("source:export");
  const std::string order = hub.add_order("acme");
  auto created = hub.create("acme", "k1", order);
  REQUIRE(created.is_ok());
  const std::string id = created->migration().id();
  // The provision, the target's hash probe, the export (held) and the source's probe beside it.
  testing::wait_until([&] { return hub.task_keys(id).size() == 4; }, 60s, "the export submitted");

  pv1::CancelMigrationRequest other;
  other.set_id(id);
  other.set_tenant("globex");
  check_error(hub.call<pv1::CancelMigrationReply>("cancel_migration", other).status(),
              StatusCode::kNotFound, "MIGRATION_NOT_FOUND");

  pv1::CancelMigrationRequest cancel;
  cancel.set_id(id);
  cancel.set_tenant("acme");
  auto cancelled = hub.call<pv1::CancelMigrationReply>("cancel_migration", cancel);
  INFO(cancelled.status().to_string());
  REQUIRE(cancelled.is_ok());
  CHECK(cancelled->migration().cancel_requested());
  CHECK((cancelled->migration().state() == "rolling_back" ||
         cancelled->migration().state() == "rolled_back"));
  hub.release("source:export");
  pv1::Migration m = hub.wait_state(id, "rolled_back");
  std::vector<std::string> keys = without_probes(hub.task_keys(id));
  CHECK(std::set<std::string>(keys.begin() + 2, keys.end()) ==
        std::set<std::string>{"source:cleanup", "target:cleanup", "target:deprovision"});

  // A completed migration cannot be cancelled.
  const std::string second_order = hub.add_order("acme");
  auto second = hub.create("acme", "k2", second_order);
  REQUIRE(second.is_ok());
  hub.wait_state(second->migration().id(), "completed");
  cancel.set_id(second->migration().id());
  auto late = hub.call<pv1::CancelMigrationReply>("cancel_migration", cancel);
  check_error(late.status(), StatusCode::kConflict, "INVALID_STATE");
  CHECK(late.status().detail("state") == "completed");
}

TEST_CASE("create is idempotent and refuses a second migration of the same order") {
  Hub hub;
  hub.hold("target:provision");
  const std::string order = hub.add_order("acme");
  auto first = hub.create("acme", "k1", order);
  REQUIRE(first.is_ok());
  auto again = hub.create("acme", "k1", order);
  REQUIRE(again.is_ok());
  CHECK_FALSE(again->created());
  CHECK(again->migration().id() == first->migration().id());
  check_error(hub.create("acme", "k1", order, kTarget, "offline").status(), StatusCode::kConflict,
              "IDEMPOTENCY_KEY_REUSED");
  check_error(hub.create("acme", "k2", order).status(), StatusCode::kConflict,
              "MIGRATION_IN_PROGRESS");
}

TEST_CASE("create refuses what docs/migrations.md says cannot be planned") {
  Hub hub;
  const std::string order = hub.add_order("acme");
  check_error(hub.create("acme", "k1", "ord_missing").status(), StatusCode::kNotFound,
              "ORDER_NOT_FOUND");
  check_error(hub.create("globex", "k1", order).status(), StatusCode::kNotFound,
              "ORDER_NOT_FOUND");  // another tenant's order
  auto inactive = hub.create("acme", "k2", hub.add_order("acme", "provisioning"));
  check_error(inactive.status(), StatusCode::kFailedPrecondition, "ORDER_NOT_ACTIVE");
  CHECK(inactive.status().detail("state") == "provisioning");
  check_error(hub.create("acme", "k3", order, kTargetSameProvider).status(),
              StatusCode::kInvalidArgument, "SAME_PROVIDER");
  check_error(hub.create("acme", "k4", order, "https://nowhere.example/#x").status(),
              StatusCode::kNotFound, "TARGET_NOT_FOUND");
  auto formats = hub.create("acme", "k5", order, kTargetPlainOnly);
  check_error(formats.status(), StatusCode::kFailedPrecondition, "FORMATS_INCOMPATIBLE");
  CHECK(formats.status().message().find(
            "the source exports [mpli:FormatPgDumpCustom, mpli:FormatPgLogicalReplication]") !=
        std::string::npos);
  CHECK(formats.status().message().find("the target imports [mpli:FormatSqlPlain]") !=
        std::string::npos);
  check_error(hub.create("acme", "k6", order, kTargetDiskWorker).status(),
              StatusCode::kFailedPrecondition, "TARGET_DOES_NOT_FIT");
  auto unfit = hub.create("acme", "k7", hub.add_order("acme", "active", "res_unfit"));
  check_error(unfit.status(), StatusCode::kFailedPrecondition, "TARGET_DOES_NOT_FIT");
  CHECK(unfit.status().detail("reasons").find("outside the EU") != std::string::npos);
  check_error(hub.create("", "k8", order).status(), StatusCode::kInvalidArgument, "BAD_REQUEST");
  // An order from a resolution whose requirement the target satisfies is planned.
  auto fits = hub.create("acme", "k9", hub.add_order("acme", "active", "res_fits"));
  INFO(fits.status().to_string());
  CHECK(fits.is_ok());
}

TEST_CASE("a tenant sees only its own migrations") {
  Hub hub;
  hub.hold("target:provision");
  auto a = hub.create("acme", "k1", hub.add_order("acme"));
  auto b = hub.create("globex", "k1", hub.add_order("globex"));
  REQUIRE(a.is_ok());
  REQUIRE(b.is_ok());
  pv1::GetMigrationRequest get;
  get.set_id(a->migration().id());
  get.set_tenant("globex");
  check_error(hub.call<pv1::GetMigrationReply>("get_migration", get).status(),
              StatusCode::kNotFound, "MIGRATION_NOT_FOUND");
  pv1::GetReportRequest report;
  report.set_id(a->migration().id());
  report.set_tenant("globex");
  check_error(hub.call<pv1::GetReportReply>("get_report", report).status(), StatusCode::kNotFound,
              "MIGRATION_NOT_FOUND");

  pv1::ListMigrationsRequest list;
  list.set_tenant("globex");
  auto listed = hub.call<pv1::ListMigrationsReply>("list_migrations", list);
  REQUIRE(listed.is_ok());
  REQUIRE(listed->migrations_size() == 1);
  CHECK(listed->migrations(0).id() == b->migration().id());
  // The admin ("") sees both, one page at a time.
  list.set_tenant("");
  list.set_limit(1);
  auto page = hub.call<pv1::ListMigrationsReply>("list_migrations", list);
  REQUIRE(page.is_ok());
  REQUIRE(page->migrations_size() == 1);
  CHECK(page->migrations(0).id() == b->migration().id());  // newest first
  REQUIRE_FALSE(page->next_cursor().empty());
  list.set_cursor(page->next_cursor());
  auto next = hub.call<pv1::ListMigrationsReply>("list_migrations", list);
  REQUIRE(next.is_ok());
  REQUIRE(next->migrations_size() == 1);
  CHECK(next->migrations(0).id() == a->migration().id());
  CHECK(next->next_cursor().empty());
}

TEST_CASE("portability SIGKILLed inside steps resumes and submits no task twice") {
  Hub hub;
  const std::vector<std::string> kill_at = {"target:provision", "target:import", "source:freeze"};
  for (const auto& key : kill_at) hub.hold(key);
  const std::string order = hub.add_order("acme");
  auto created = hub.create("acme", "k1", order);
  REQUIRE(created.is_ok());
  const std::string id = created->migration().id();
  for (const auto& key : kill_at) {
    testing::wait_until(
        [&] {
          for (const auto& k : hub.task_keys(id)) {
            if (k == key) return true;
          }
          return false;
        },
        60s, key + " submitted");
    hub.kill_portability();
    hub.start_portability();
    hub.release(key);
  }
  pv1::Migration m = hub.wait_state(id, "completed");
  CHECK(m.steps_size() == 7);
  // Every submission of one task key carried one id (a resubmission repeats it).
  std::map<std::string, std::set<std::string>> ids_by_key;
  for (const auto& s : hub.submissions(id)) ids_by_key[s.key].insert(s.task_id);
  CHECK(ids_by_key.size() == 12);  // the ten of the walk above and the two hash probes
  for (const auto& [key, ids] : ids_by_key) {
    INFO(key);
    CHECK(ids.size() == 1);
  }
}
