// `mpli up` as a federation that delivers: every demo provider gets its own PostgreSQL server and
// its own PostgreSQL worker, whose NATS user reaches that provider's work only. When the worker
// is built, a provision item put on MPLI_WORK (as delivery would) really creates a database on
// that provider's server, and a deprovision item drops it.
#include <google/protobuf/util/json_util.h>
#include <nats/nats.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <pqxx/pqxx>
#include <sstream>

#include "libs/bus/connection.h"
#include "libs/bus/jetstream.h"
#include "libs/process/child_process.h"
#include "libs/testing/environment.h"
#include "mpli/delivery/v1/delivery.pb.h"
#include "tests/integration/federation_fixture.h"

using namespace mpli;
using namespace mpli::fixture;
using namespace std::chrono_literals;

namespace {

const std::vector<std::string> kDemoProviders = {"hexacloud", "nordwolke", "polderstack"};

std::string first_line(const std::string& path) {
  std::string text = read_file(path);
  return text.substr(0, text.find('\n'));
}

mode_t mode_of(const std::string& path) {
  struct stat info {};
  REQUIRE(stat(path.c_str(), &info) == 0);
  return info.st_mode & 0777;
}

// Outputs and secrets of the outcome the worker reports for `work_id`.
struct Outcome {
  std::string kind;
  std::string message;
  std::map<std::string, std::string> values;  // outputs and secrets together
};

// Collects the WorkUpdates published for one provider (a plain subscription: it takes nothing
// from the stream, so delivery, when it runs, still sees them).
class UpdateWatcher {
 public:
  UpdateWatcher(bus::Connection& bus, const std::string& provider) {
    auto sub = bus.subscribe("mpli.work.v1.result." + provider, [this](const bus::Message& m) {
      delivery::v1::WorkUpdate update;
      if (!google::protobuf::util::JsonStringToMessage(m.data, &update).ok()) return;
      std::lock_guard<std::mutex> lock(mutex_);
      if (update.kind() == "succeeded" || update.kind() == "failed") {
        Outcome outcome{update.kind(), update.message(), {}};
        for (const auto& [k, v] : update.outputs()) outcome.values[k] = v;
        for (const auto& [k, v] : update.secrets()) outcome.values[k] = v;
        outcomes_[update.work_id()] = outcome;
      }
    });
    REQUIRE(sub.is_ok());
    sub_ = std::move(sub).value();
    REQUIRE(bus.flush(5s).is_ok());
  }
  Outcome wait_for(const std::string& work_id) {
    Outcome out;
    testing::wait_until(
        [&] {
          std::lock_guard<std::mutex> lock(mutex_);
          auto it = outcomes_.find(work_id);
          if (it == outcomes_.end()) return false;
          out = it->second;
          return true;
        },
        90s, "the worker's outcome for " + work_id);
    return out;
  }

 private:
  std::mutex mutex_;
  std::map<std::string, Outcome> outcomes_;
  std::unique_ptr<bus::Subscription> sub_;
};

void publish_work(bus::Connection& bus, const std::string& provider, const std::string& operation,
                  const std::string& work_id, const std::map<std::string, std::string>& outputs) {
  delivery::v1::WorkItem item;
  item.set_work_id(work_id);
  item.set_attempt(1);
  item.set_order_id("ord_fedtest1");
  item.set_provider_id(provider);
  item.set_operation(operation);
  item.set_offering_id("https://" + provider + ".example/.well-known/mpli.ttl#pg");
  item.set_worker_kind("PostgresqlWorker");
  item.set_artifact("demo");
  (*item.mutable_parameters())["connection_limit"] = "7";
  for (const auto& [k, v] : outputs) (*item.mutable_outputs())[k] = v;
  item.set_deadline_unix_ms(std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::system_clock::now().time_since_epoch() + 5min)
                                .count());
  item.set_quantity(1);
  item.set_tenant("acme");
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  REQUIRE(google::protobuf::util::MessageToJsonString(item, &json, options).ok());
  auto published = bus::publish_durable(bus, "mpli.work.v1." + provider + "." + operation, json,
                                        work_id + ".1", {{"Content-Type", "application/json"}});
  REQUIRE(published.is_ok());
}

std::string provider_dsn(const Federation& f, int index, const std::string& provider) {
  return "host=127.0.0.1 port=" + std::to_string(f.pg_port + index + 1) +
         " dbname=postgres user=postgres connect_timeout=5 password=" +
         first_line(f.state_dir + "/providers/" + provider + "/postgres/password");
}

}  // namespace

TEST_CASE("every demo provider gets its own PostgreSQL server and a worker limited to its work") {
  testing::TempDir dir;
  Federation f = federation_in(dir.path());
  auto federation = process::ChildProcess::spawn(f.spec);
  REQUIRE(federation.is_ok());
  const bool worker_built = std::filesystem::exists(testing::bin_dir() + "/mpli-worker-postgresql");

  // Each provider's line in the start-up summary says where its PostgreSQL runs.
  for (size_t i = 0; i < kDemoProviders.size(); ++i) {
    std::string line = "provider " + kDemoProviders[i] + ": PostgreSQL on 127.0.0.1:" +
                       std::to_string(f.pg_port + static_cast<int>(i) + 1);
    testing::wait_until([&] { return read_file(f.up_log).find(line) != std::string::npos; }, 90s,
                        "'" + line + "' in the output of mpli up");
  }
  testing::wait_until([&] { return federation_ready(f.http_port); }, 90s, "federation ready");
  std::string up_log = read_file(f.up_log);
  INFO(up_log);

  // The provider servers are real and want their own passwords.
  for (size_t i = 0; i < kDemoProviders.size(); ++i) {
    const std::string& provider = kDemoProviders[i];
    INFO(provider);
    std::string password_file = f.state_dir + "/providers/" + provider + "/postgres/password";
    CHECK(mode_of(password_file) == 0600);
    pqxx::connection c(provider_dsn(f, static_cast<int>(i), provider));
    pqxx::work tx(c);
    CHECK(tx.exec1("SELECT current_setting('port')")[0].as<int>() ==
          f.pg_port + static_cast<int>(i) + 1);
    std::string without =
        "host=127.0.0.1 port=" + std::to_string(f.pg_port + static_cast<int>(i) + 1) +
        " dbname=postgres user=postgres passfile=/dev/null connect_timeout=5";
    CHECK_THROWS_WITH(pqxx::connection(without), Catch::Contains("password"));
    if (worker_built) {
      CHECK(mode_of(f.state_dir + "/providers/" + provider + "/server.dsn") == 0600);
      CHECK(up_log.find("worker-" + provider + " started (pid") != std::string::npos);
    } else {
      CHECK(up_log.find("provider " + provider) != std::string::npos);
      CHECK(up_log.find(provider + "'s orders wait in MPLI_WORK until a worker runs") !=
            std::string::npos);
    }
  }

  // NATS: users only, passwords kept private, nats.conf holds hashes and no password.
  {
    bus::ConnectOptions anonymous;
    anonymous.url = "nats://127.0.0.1:" + std::to_string(f.nats_port);
    anonymous.retry_on_failed_connect = false;
    CHECK_FALSE(bus::Connection::connect(anonymous).is_ok());
    std::string conf = read_file(f.state_dir + "/nats/nats.conf");
    CHECK(mode_of(f.state_dir + "/nats/nats.conf") == 0600);
    for (const auto& entry : std::filesystem::directory_iterator(f.state_dir + "/nats/users")) {
      INFO(entry.path());
      CHECK(mode_of(entry.path().string()) == 0600);
      std::string password = first_line(entry.path().string());
      REQUIRE(password.size() == 64);
      CHECK(conf.find(password) == std::string::npos);
    }
    CHECK(conf.find("\"$2a$10$") != std::string::npos);
  }
  {
    // A worker's user reads its own inbox only: not another provider's work.
    auto worker = bus::Connection::connect(f.login("worker-hexacloud", "_INBOX_hexacloud"));
    REQUIRE(worker.is_ok());
    REQUIRE((*worker)->wait_connected(10s).is_ok());
    auto sub = (*worker)->subscribe("mpli.work.v1.nordwolke.>", [](const bus::Message&) {});
    REQUIRE((*worker)->flush(5s).is_ok());
    const char* error = nullptr;
    natsConnection_GetLastError((*worker)->raw(), &error);
    REQUIRE(error != nullptr);
    CHECK_THAT(std::string(error), Catch::Contains("Permissions Violation for Subscription to "
                                                   "\"mpli.work.v1.nordwolke.>\""));
  }

  if (worker_built) {
    // What delivery does for an order, done by hand: nordwolke's worker provisions on
    // nordwolke's server and nowhere else.
    auto hub = bus::Connection::connect(f.login("operator"));
    REQUIRE(hub.is_ok());
    REQUIRE((*hub)->wait_connected(10s).is_ok());
    REQUIRE(bus::ensure_stream(**hub, bus::work_stream()).is_ok());
    bus::ConsumerSpec consumer;
    consumer.stream = "MPLI_WORK";
    consumer.durable = "worker-nordwolke";
    consumer.filter_subject = "mpli.work.v1.nordwolke.>";
    consumer.ack_wait = 30s;
    REQUIRE(bus::ensure_consumer(**hub, consumer).is_ok());
    UpdateWatcher updates(**hub, "nordwolke");
    publish_work(**hub, "nordwolke", "provision", "wrk_fedtest_provision", {});
    Outcome provisioned = updates.wait_for("wrk_fedtest_provision");
    INFO(provisioned.message);
    REQUIRE(provisioned.kind == "succeeded");
    CHECK(provisioned.values["host"] == "127.0.0.1");
    CHECK(provisioned.values["port"] == std::to_string(f.pg_port + 2));
    CHECK(provisioned.values["database"] == "mpli_ordfedtest1");
    {
      pqxx::connection c("host=127.0.0.1 port=" + provisioned.values["port"] + " dbname=" +
                         provisioned.values["database"] + " user=" + provisioned.values["user"] +
                         " password=" + provisioned.values["password"] + " connect_timeout=5");
      pqxx::work tx(c);
      CHECK(tx.exec1("SELECT current_database()")[0].as<std::string>() == "mpli_ordfedtest1");
    }
    auto databases_on = [&](int index, const std::string& provider) {
      pqxx::connection c(provider_dsn(f, index, provider));
      pqxx::work tx(c);
      return tx.exec1("SELECT count(*) FROM pg_database WHERE datname = 'mpli_ordfedtest1'")[0]
          .as<int>();
    };
    CHECK(databases_on(0, "hexacloud") == 0);
    CHECK(databases_on(1, "nordwolke") == 1);
    CHECK(databases_on(2, "polderstack") == 0);

    publish_work(**hub, "nordwolke", "deprovision", "wrk_fedtest_deprovision",
                 {{"host", provisioned.values["host"]},
                  {"port", provisioned.values["port"]},
                  {"database", provisioned.values["database"]},
                  {"user", provisioned.values["user"]}});
    Outcome deprovisioned = updates.wait_for("wrk_fedtest_deprovision");
    INFO(deprovisioned.message);
    CHECK(deprovisioned.kind == "succeeded");
    CHECK(databases_on(1, "nordwolke") == 0);
  }

  // Ctrl-C stops everything, the providers' servers included; no NATS password reached a log.
  stop_federation(*federation, 60s);
  for (size_t i = 0; i < kDemoProviders.size(); ++i) {
    CHECK_FALSE(process::tcp_port_open("127.0.0.1", f.pg_port + static_cast<int>(i) + 1));
  }
  std::vector<std::string> logs = federation_logs(f);
  for (const auto& entry : std::filesystem::directory_iterator(f.state_dir + "/nats/users")) {
    std::string password = first_line(entry.path().string());
    for (const auto& log : logs) {
      INFO(entry.path() << " in " << log);
      CHECK(read_file(log).find(password) == std::string::npos);
    }
  }
}
