// Delivery survives crashes: 50 orders for managed PostgreSQL databases are in flight while
// mpli-delivery and the providers' PostgreSQL workers are SIGKILLed at random moments and
// restarted (and, in the second case, while nats-server and the hub's PostgreSQL restart).
// Afterwards every order is settled (active, deleted, failed or rejected), each active order has
// exactly one database on its provider's server, no deleted or failed order has one, every
// order's history is a legal path without repeats, and every transition produced exactly one
// order_changed event. Real nats-server, PostgreSQL servers (the hub's and one per provider),
// mpli-discovery, mpli-delivery and mpli-worker-postgresql.
#include <signal.h>
#include <sys/stat.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <pqxx/pqxx>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "libs/bus/call.h"
#include "libs/bus/jetstream.h"
#include "libs/testing/environment.h"
#include "mpli/common/v1/envelope.pb.h"
#include "mpli/delivery/v1/delivery.pb.h"
#include "mpli/discovery/v1/discovery.pb.h"

using namespace mpli;
using namespace std::chrono_literals;
namespace dv1 = mpli::delivery::v1;

namespace {

constexpr int kOrders = 50;

bool settled(const std::string& state) {
  return state == "active" || state == "deleted" || state == "failed" || state == "rejected";
}

// The database the PostgreSQL worker makes for an order: "mpli_" + the id's lowercase
// alphanumerics (the worker protocol's naming rule).
std::string database_of(const std::string& order_id) {
  std::string name = "mpli_";
  for (char c : order_id) {
    if (std::isalnum(static_cast<unsigned char>(c)) != 0) {
      name += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
  }
  return name;
}

std::set<std::string> databases_on(const std::string& dsn) {
  pqxx::connection connection(dsn);
  pqxx::work tx(connection);
  std::set<std::string> names;
  for (const auto& row : tx.exec("SELECT datname FROM pg_database WHERE datname LIKE 'mpli\\_%'")) {
    names.insert(row[0].as<std::string>());
  }
  return names;
}

// A provider of the example federation: its id, its own PostgreSQL server, its worker.
struct Provider {
  std::string id;
  std::string manifest;  // example file name
  std::unique_ptr<testing::TestPostgres> server;
  std::string dsn_file;
  std::string offering;  // its managed PostgreSQL offering's IRI
  std::unique_ptr<process::ChildProcess> worker;
};

class Federation {
 public:
  Federation() {
    nats_ = std::make_unique<testing::TestNats>(dir_.path());
    hub_pg_ = std::make_unique<testing::TestPostgres>(dir_.path());
    key_file_ = dir_.path() + "/delivery.key";
    {
      std::ofstream key(key_file_);
      key << std::string(64, 'a');
    }
    ::chmod(key_file_.c_str(), 0600);
    for (auto [id, manifest] : {std::pair{"hexacloud", "provider-hexacloud-fr.ttl"},
                                std::pair{"nordwolke", "provider-nordwolke-de.ttl"}}) {
      auto provider = std::make_unique<Provider>();
      provider->id = id;
      provider->manifest = manifest;
      std::string dir = dir_.path() + "/" + id;
      REQUIRE(::mkdir(dir.c_str(), 0755) == 0);  // PostgreSQL runs as postgres under root
      provider->server = std::make_unique<testing::TestPostgres>(dir);
      provider->dsn_file = dir + "/server.dsn";
      {
        std::ofstream dsn(provider->dsn_file);
        dsn << provider->server->dsn();
      }
      ::chmod(provider->dsn_file.c_str(), 0600);
      providers_.push_back(std::move(provider));
    }
    start_service("mpli-discovery", discovery_);
    start_delivery();
    for (auto& provider : providers_) start_worker(*provider);

    bus::ConnectOptions options;
    options.url = nats_->url();
    auto connection = bus::Connection::connect(options);
    REQUIRE(connection.is_ok());
    bus_ = std::move(connection).value();
    wait_healthy("discovery");
    wait_healthy("delivery");
    for (auto& provider : providers_) register_provider(*provider);
  }

  ~Federation() {
    for (auto& provider : providers_) provider->worker.reset();
    delivery_.reset();
    discovery_.reset();
  }

  bus::Connection& bus() { return *bus_; }
  std::vector<std::unique_ptr<Provider>>& providers() { return providers_; }
  testing::TestNats& nats() { return *nats_; }
  testing::TestPostgres& hub_postgres() { return *hub_pg_; }

  void kill_delivery() { kill(delivery_); }
  void start_delivery() { start_service("mpli-delivery", delivery_); }
  void kill_worker(Provider& provider) { kill(provider.worker); }

  void start_worker(Provider& provider) {
    process::Spec spec;
    spec.program = testing::bin_dir() + "/mpli-worker-postgresql";
    std::string state = dir_.path() + "/" + provider.id + "/worker";
    ::mkdir(state.c_str(), 0700);
    spec.args = {"--nats-url",    nats_->url(), "--provider",        provider.id,
                 "--state-dir",   state,        "--server-dsn-file", provider.dsn_file,
                 "--public-host", "127.0.0.1",  "--public-port",     "5432"};
    spec.output_file = dir_.path() + "/worker-" + provider.id + ".log";
    auto child = process::ChildProcess::spawn(spec);
    REQUIRE(child.is_ok());
    provider.worker = std::make_unique<process::ChildProcess>(std::move(child).value());
  }

  void wait_healthy(const std::string& service) {
    testing::wait_until(
        [&] {
          auto reply = bus_->request("mpli." + service + ".v1.health", "", 1s);
          common::v1::HealthReply health;
          return reply.is_ok() && health.ParseFromString(reply->data) && health.status() == "ok";
        },
        60s, service + " is healthy");
  }

 private:
  std::map<std::string, std::string> environment() const {
    return {{"MPLI_NATS_URL", nats_->url()},
            {"MPLI_DATABASE_URL", hub_pg_->dsn()},
            {"MPLI_DELIVERY_SECRET_KEY_FILE", key_file_},
            // Short deadlines and pauses, so lost work is retried within the test's time.
            {"MPLI_WORK_DEADLINE", "4s"},
            {"MPLI_WORK_ACK_WAIT", "3s"},
            {"MPLI_WORK_BACKOFF_BASE", "200ms"},
            {"MPLI_WORK_BACKOFF_MAX", "1s"},
            {"MPLI_WORK_MAX_ATTEMPTS", "20"},
            {"MPLI_WORK_SCAN_INTERVAL", "200ms"},
            {"MPLI_ORDERS_RECOVERY_INTERVAL", "500ms"},
            {"MPLI_ORDERS_RECOVERY_AGE", "1s"},
            {"MPLI_UPSTREAM_TIMEOUT", "3s"},
            {"MPLI_SHUTDOWN_TIMEOUT", "2s"}};
  }

  void start_service(const std::string& binary, std::unique_ptr<process::ChildProcess>& slot) {
    slot = std::make_unique<process::ChildProcess>(
        testing::start_binary(binary, environment(), dir_.path()));
  }

  static void kill(std::unique_ptr<process::ChildProcess>& slot) {
    slot->stop(SIGKILL, 5s);
    slot.reset();
  }

  void register_provider(Provider& provider) {
    discovery::v1::RegisterProviderRequest request;
    request.set_manifest_turtle(testing::read_example(provider.manifest));
    auto registered = bus::call<discovery::v1::RegisterProviderReply>(
        *bus_, "mpli.discovery.v1.register_provider", request, 30s);
    REQUIRE(registered.is_ok());
    discovery::v1::OfferingFilter filter;
    filter.set_provider_id(provider.id);
    filter.set_kind("ManagedPostgreSQL");
    auto offerings = bus::call<discovery::v1::ListOfferingsReply>(
        *bus_, "mpli.discovery.v1.list_offerings", filter, 10s);
    REQUIRE(offerings.is_ok());
    REQUIRE(offerings->offerings_size() > 0);
    provider.offering = offerings->offerings(0).id();
  }

  testing::TempDir dir_;
  std::unique_ptr<testing::TestNats> nats_;
  std::unique_ptr<testing::TestPostgres> hub_pg_;
  std::string key_file_;
  std::vector<std::unique_ptr<Provider>> providers_;
  std::unique_ptr<process::ChildProcess> discovery_;
  std::unique_ptr<process::ChildProcess> delivery_;
  std::unique_ptr<bus::Connection> bus_;
};

// Places kOrders orders (alternating providers) and deletes every third once it is active,
// retrying each request with the same idempotency key until delivery answers.
class OrderDriver {
 public:
  explicit OrderDriver(Federation& federation) : federation_(federation) {}

  void run(const std::atomic<bool>& stop) {
    for (int i = 0; i < kOrders && !stop; ++i) {
      Provider& provider = *federation_.providers()[static_cast<size_t>(i) % 2];
      dv1::CreateOrderRequest request;
      request.set_tenant("tenant-crash");
      request.set_idempotency_key("crash-" + std::to_string(i));
      request.set_offering_id(provider.offering);
      (*request.mutable_parameters())["connection_limit"] = "5";
      std::string id;
      while (id.empty() && !stop) {
        auto reply = bus::call<dv1::CreateOrderReply>(federation_.bus(),
                                                      "mpli.delivery.v1.create_order", request, 5s);
        if (reply.is_ok()) id = reply->order().id();
      }
      std::lock_guard lock(mutex_);
      orders_.push_back({id, provider.id, i % 3 == 0});
    }
    // Deletions: as each chosen order turns active, ask for its deletion (repeats are fine: a
    // second DELETE of a deprovisioning order is a 409 or the same order, never a second drop).
    while (!stop) {
      bool pending = false;
      for (auto& order : snapshot()) {
        if (!order.delete_it || order.id.empty()) continue;
        auto state = state_of(order.id);
        if (state == "active") {
          dv1::DeleteOrderRequest request;
          request.set_id(order.id);
          request.set_tenant("tenant-crash");
          (void)bus::call<dv1::DeleteOrderReply>(federation_.bus(), "mpli.delivery.v1.delete_order",
                                                 request, 5s);
        }
        if (state != "deleted" && state != "failed" && state != "rejected") pending = true;
      }
      if (!pending) break;
      std::this_thread::sleep_for(100ms);  // a polling interval, not a wait for readiness
    }
  }

  struct Placed {
    std::string id;
    std::string provider_id;
    bool delete_it = false;
  };
  std::vector<Placed> snapshot() {
    std::lock_guard lock(mutex_);
    return orders_;
  }

  std::string state_of(const std::string& id) {
    auto order = get(id);
    return order ? order->state() : "";
  }

  std::optional<dv1::Order> get(const std::string& id) {
    dv1::GetOrderRequest request;
    request.set_id(id);
    auto reply =
        bus::call<dv1::GetOrderReply>(federation_.bus(), "mpli.delivery.v1.get_order", request, 5s);
    if (!reply) return std::nullopt;
    return reply->order();
  }

 private:
  Federation& federation_;
  std::mutex mutex_;
  std::vector<Placed> orders_;
};

// Every transition of every order, as order_changed events on MPLI_EVENTS: read until each
// order has at least `transitions[id]` events (the outbox publishes after the commit, later
// still after a restart of the bus or the database) or 60 s have passed, then until the stream
// has nothing more for 2 s, so that a repeated event is read too.
std::map<std::string, std::vector<int64_t>> order_events(
    bus::Connection& bus, const std::map<std::string, size_t>& transitions) {
  bus::ConsumerSpec spec;
  spec.stream = "MPLI_EVENTS";
  spec.durable = "crash-test-reader";
  spec.filter_subject = "mpli.events.delivery.v1.order_changed";
  auto consumer = bus::PullConsumer::create(bus, spec);
  REQUIRE(consumer.is_ok());
  std::map<std::string, std::vector<int64_t>> versions;
  auto all_read = [&] {
    for (const auto& [id, count] : transitions) {
      if (versions[id].size() < count) return false;
    }
    return true;
  };
  auto deadline = std::chrono::steady_clock::now() + 60s;
  for (;;) {
    auto batch = (*consumer)->fetch(256, 2s);
    REQUIRE(batch.is_ok());
    if (batch->empty() && (all_read() || std::chrono::steady_clock::now() > deadline)) break;
    for (auto& delivered : *batch) {
      common::v1::Envelope envelope;
      REQUIRE(envelope.ParseFromString(delivered.message().data));
      dv1::OrderChanged changed;
      REQUIRE(changed.ParseFromString(envelope.payload()));
      versions[changed.order_id()].push_back(changed.version());
      REQUIRE(delivered.ack().is_ok());
    }
  }
  return versions;
}

// The checks both crash cases end with.
void check_outcome(Federation& federation, OrderDriver& driver) {
  // Placing goes on through the restarts (each request repeated with its idempotency key until
  // delivery answers), so it may end after the chaos does.
  std::cout << "orders placed when the crashes ended: " << driver.snapshot().size() << " of "
            << kOrders << "\n";
  testing::wait_until([&] { return driver.snapshot().size() == static_cast<size_t>(kOrders); },
                      120s, "every order is placed");
  auto placed = driver.snapshot();
  std::map<std::string, dv1::Order> orders;
  testing::wait_until(
      [&] {
        for (const auto& order : placed) {
          auto current = driver.get(order.id);
          if (!current || !settled(current->state()) || current->deletion_requested()) {
            return false;
          }
          if (order.delete_it && current->state() == "active") return false;
          orders[order.id] = *current;
        }
        return true;
      },
      240s, "every order is settled");

  std::map<std::string, std::set<std::string>> expected;  // provider -> databases
  int active = 0;
  for (const auto& order : placed) {
    const dv1::Order& settled_order = orders.at(order.id);
    INFO("order " << order.id << " is " << settled_order.state());
    if (order.delete_it) {
      CHECK(settled_order.state() != "active");
    }
    if (settled_order.state() == "active") {
      expected[order.provider_id].insert(database_of(order.id));
      ++active;
    }
    // The history is a path: each row starts where the previous one ended, none repeats.
    const auto& history = settled_order.history();
    REQUIRE(history.size() >= 2);
    for (int i = 1; i < history.size(); ++i) {
      CHECK(history[i].from() == history[i - 1].to());
      CHECK(history[i].to() != history[i].from());
    }
  }
  std::map<std::string, int> by_state;
  for (const auto& [id, order] : orders) ++by_state[order.state()];
  for (const auto& [state, count] : by_state) std::cout << state << ": " << count << "\n";
  // Most orders succeed despite the crashes; a failure must be the exception it is meant to be.
  CHECK(active >= kOrders / 2);
  for (auto& provider : federation.providers()) {
    INFO("databases on " << provider->id << "'s server");
    CHECK(databases_on(provider->server->dsn()) == expected[provider->id]);
  }

  // One event per transition, none lost, none repeated.
  std::map<std::string, size_t> transitions;
  for (const auto& [id, order] : orders)
    transitions[id] = static_cast<size_t>(order.history_size());
  auto events = order_events(federation.bus(), transitions);
  for (const auto& order : placed) {
    const dv1::Order& settled_order = orders.at(order.id);
    auto versions = events[order.id];
    std::sort(versions.begin(), versions.end());
    INFO("events of " << order.id);
    CHECK(std::adjacent_find(versions.begin(), versions.end()) == versions.end());
    CHECK(versions.size() == static_cast<size_t>(settled_order.history_size()));
  }
}

// Runs the driver on its own thread and always joins it, also when a check throws.
class DriverThread {
 public:
  explicit DriverThread(OrderDriver& driver) : thread_([this, &driver] { driver.run(stop_); }) {}
  ~DriverThread() {
    stop_ = true;
    thread_.join();
  }
  DriverThread(const DriverThread&) = delete;
  DriverThread& operator=(const DriverThread&) = delete;

 private:
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace

TEST_CASE(
    "delivery crash: delivery and workers SIGKILLed at random moments lose and repeat nothing",
    "[delivery][crash]") {
  Federation federation;
  OrderDriver driver(federation);
  DriverThread placing(driver);

  // The chaos runs on this thread: the children it restarts die with the thread that spawned
  // them (parent-death signal), so they must be spawned here.
  std::mt19937 random(20261202);
  std::uniform_int_distribution<int> pause_ms(150, 1200);
  std::uniform_int_distribution<int> victim(0, 2);
  for (int kill = 0; kill < 14; ++kill) {
    std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms(random)));
    int chosen = victim(random);
    if (chosen == 0) {
      federation.kill_delivery();
      federation.start_delivery();
    } else {
      Provider& provider = *federation.providers()[static_cast<size_t>(chosen - 1)];
      federation.kill_worker(provider);
      federation.start_worker(provider);
    }
  }
  check_outcome(federation, driver);
}

TEST_CASE("delivery crash: nats-server and the hub's PostgreSQL restarted mid-flow lose nothing",
          "[delivery][crash]") {
  Federation federation;
  OrderDriver driver(federation);
  DriverThread placing(driver);

  std::this_thread::sleep_for(1500ms);  // orders are in flight
  federation.nats().stop();
  std::this_thread::sleep_for(500ms);
  federation.nats().start();
  std::this_thread::sleep_for(1500ms);
  federation.hub_postgres().stop();
  std::this_thread::sleep_for(500ms);
  federation.hub_postgres().start();
  std::this_thread::sleep_for(1000ms);
  federation.kill_delivery();  // and a crash of delivery while the others recover
  federation.start_delivery();

  check_outcome(federation, driver);
}
