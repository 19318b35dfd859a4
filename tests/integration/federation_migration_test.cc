// `mpli up` as a federation that moves running services (EU Data Act switching): a managed
// PostgreSQL database goes from hexacloud to nordwolke to polderstack in online mode while a
// writer commits a numbered row every few milliseconds, and a virtual machine's disk image goes
// qcow2 -> raw -> vmdk across the three providers' image stores. Everything is real: the
// providers' PostgreSQL servers, logical replication, qemu-img, the workers, the gateway.
#include <signal.h>
#include <sys/wait.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <set>
#include <thread>

#include "libs/process/child_process.h"
#include "libs/testing/environment.h"
#include "tests/integration/federation_fixture.h"
#include "tests/integration/federation_migration_helpers.h"

using namespace mpli;
using namespace mpli::fixture;
using namespace std::chrono_literals;

namespace {

// Commits numbered rows 1, 2, 3, ... to the order's database, one every few milliseconds,
// following the order wherever it lives: on any error it reads the order again and retries
// the same number. A number counts as committed only when its COMMIT returned.
class NumberWriter {
 public:
  NumberWriter(const Consumer& consumer, std::string order_id)
      : consumer_(consumer), order_id_(std::move(order_id)) {
    thread_ = std::thread([this] { run(); });
  }
  ~NumberWriter() { stop(); }
  void stop() {
    stopping_ = true;
    if (thread_.joinable()) thread_.join();
  }
  std::set<int64_t> committed() {
    std::lock_guard<std::mutex> lock(mutex_);
    return committed_;
  }
  int64_t failures() const { return failures_; }

 private:
  void run() {
    int64_t next = 1;
    std::unique_ptr<pqxx::connection> connection;
    // Bounded: at most 200 000 attempts (about 20 minutes at the pace below).
    for (int attempt = 0; attempt < 200000 && !stopping_; ++attempt) {
      try {
        if (!connection) {
          auto got = testing::http_request(
              "GET", consumer_.base + "/v1/orders/" + order_id_ + "?include=secrets", "",
              {consumer_.auth});
          if (got.status != 200) throw std::runtime_error("order unreadable");
          // A statement that waits (a lock, a server that went quiet) gives up after 5 s and
          // the writer looks the order up again, instead of hanging past the test's waits.
          connection = std::make_unique<pqxx::connection>(
              connection_string(nlohmann::json::parse(got.body)) +
              " options=-cstatement_timeout=5000 keepalives_idle=5 keepalives_interval=2");
        }
        pqxx::work tx(*connection);
        tx.exec_params("INSERT INTO numbers (n) VALUES ($1)", next);
        tx.commit();
        {
          std::lock_guard<std::mutex> lock(mutex_);
          committed_.insert(next);
        }
        ++next;
      } catch (const pqxx::unique_violation&) {
        // `next` is there already: an earlier COMMIT of it happened although its answer was
        // lost (the freeze ended the session just then). Committed, so counted; writing it
        // again would fail forever.
        std::lock_guard<std::mutex> lock(mutex_);
        committed_.insert(next++);
        connection.reset();
      } catch (const std::exception&) {
        // Read-only (frozen source), terminated session or moved order: find the order again.
        // A COMMIT whose answer was lost may still have happened: the final check allows rows
        // that were not counted, never counted rows that are missing.
        ++failures_;
        connection.reset();
        std::this_thread::sleep_for(20ms);
      }
      std::this_thread::sleep_for(5ms);
    }
  }

  const Consumer& consumer_;
  std::string order_id_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<int64_t> failures_{0};
  std::mutex mutex_;
  std::set<int64_t> committed_;
};

// `method`: the report's checksum_method (the demo's PostgreSQL servers are one build and hash
// rows alike: row-hash; a disk image: sha256).
void check_report(const Consumer& consumer, const nlohmann::json& migration,
                  const std::string& from, const std::string& to, const std::string& method) {
  const std::string id = migration["id"].get<std::string>();
  auto report = consumer.get("/v1/migrations/" + id + "/report");
  INFO(report.body);
  REQUIRE(report.status == 200);
  auto json = nlohmann::json::parse(report.body);
  CHECK(json["outcome"] == "completed");
  CHECK(json["source_provider_id"] == from);
  CHECK(json["target_provider_id"] == to);
  CHECK(json["verified"] == true);
  CHECK(json["checksum_method"] == method);
  REQUIRE(json.contains("write_downtime_ms"));
  CHECK(json["write_downtime_ms"].get<int64_t>() >= 0);
  REQUIRE_FALSE(json["verification"].empty());
  for (const auto& row : json["verification"]) {
    INFO(row.dump());
    CHECK(row["equal"] == true);
    CHECK(row["source_checksum"] == row["target_checksum"]);
  }
  std::set<std::string> steps;
  for (const auto& step : json["steps"]) steps.insert(step["name"].get<std::string>());
  for (const char* name : {"provisioning_target", "exporting", "transferring", "verifying",
                           "cutting_over", "decommissioning_source"}) {
    INFO(name);
    CHECK(steps.count(name) == 1);
  }
  // The page a consumer hands over as evidence of the switch.
  auto page = testing::http_request("GET", consumer.base + "/v1/migrations/" + id + "/report", "",
                                    {consumer.auth, "Accept: text/html"});
  REQUIRE(page.status == 200);
  CHECK_THAT(page.body, Catch::Contains("<html") && Catch::Contains(from) && Catch::Contains(to));
}

}  // namespace

TEST_CASE(
    "a database moves online from hexacloud to nordwolke to polderstack while it is written") {
  testing::TempDir dir;
  Federation f = federation_in(dir.path());
  // Decommission the source as soon as verification passed, so the test sees it go.
  f.spec.environment["MPLI_MIGRATIONS_GRACE_PERIOD"] = "0s";
  // No scan after the first: delivery's task_finished events alone must drive the migrations.
  f.spec.environment["MPLI_MIGRATIONS_SCAN_INTERVAL"] = "1h";
  auto federation = process::ChildProcess::spawn(f.spec);
  REQUIRE(federation.is_ok());
  wait_until_ready(f, *federation, 120s);
  Consumer acme = consumer_of(f, "acme");

  std::vector<std::string> offerings;
  for (const auto& provider : kDemoProviders) {
    offerings.push_back(acme.offering_of("ManagedPostgreSQL", provider));
  }
  const std::string order_id =
      acme.active_order(offerings[0], nlohmann::json::object(), "mig-pg-1");
  nlohmann::json at_a = acme.order(order_id, true);
  {
    pqxx::connection c(connection_string(at_a));
    pqxx::work tx(c);
    tx.exec("CREATE TABLE numbers (n bigint PRIMARY KEY, at timestamptz NOT NULL DEFAULT now())");
    tx.commit();
  }

  NumberWriter writer(acme, order_id);
  testing::wait_until([&] { return writer.committed().size() >= 50; }, 60s, "50 rows written");
  nlohmann::json first = acme.migrate(order_id, offerings[1], "online", "mig-pg-a-b");
  nlohmann::json at_b = acme.order(order_id);
  CHECK(at_b["provider_id"] == "nordwolke");
  size_t after_first = writer.committed().size();
  testing::wait_until([&] { return writer.committed().size() >= after_first + 50; }, 60s,
                      "50 rows written at nordwolke");
  nlohmann::json second = acme.migrate(order_id, offerings[2], "online", "mig-pg-b-c");
  size_t after_second = writer.committed().size();
  testing::wait_until([&] { return writer.committed().size() >= after_second + 50; }, 60s,
                      "50 rows written at polderstack");
  writer.stop();

  nlohmann::json at_c = acme.order(order_id, true);
  CHECK(at_c["provider_id"] == "polderstack");
  CHECK(at_c["outputs"]["port"] == std::to_string(f.pg_port + 3));
  std::set<int64_t> committed = writer.committed();
  {
    pqxx::connection c(connection_string(at_c));
    pqxx::work tx(c);
    std::set<int64_t> stored;
    for (const auto& row : tx.exec("SELECT n FROM numbers")) stored.insert(row[0].as<int64_t>());
    std::vector<int64_t> missing;
    for (int64_t n : committed) {
      if (stored.count(n) == 0) missing.push_back(n);
    }
    INFO(missing.size() << " committed numbers missing at polderstack, first "
                        << (missing.empty() ? 0 : missing.front()));
    CHECK(missing.empty());
    CHECK(committed.size() >= 150);
  }
  // A and B serve nothing: their databases are gone after the (zero) grace period.
  testing::wait_until(
      [&] {
        return !database_exists(f, 0, at_a["outputs"]["database"].get<std::string>()) &&
               !database_exists(f, 1, at_b["outputs"]["database"].get<std::string>());
      },
      60s, "the database gone from hexacloud and nordwolke");
  CHECK(database_exists(f, 2, at_c["outputs"]["database"].get<std::string>()));

  check_report(acme, first, "hexacloud", "nordwolke", "row-hash");
  check_report(acme, second, "nordwolke", "polderstack", "row-hash");
  stop_federation(*federation, 60s);
}

namespace {

// qemu-io on an image file: `command` is one qemu-io command ("read -P 0x5a 0 1M").
process::Completed qemu_io(const std::string& format, const std::string& image,
                           const std::string& command) {
  process::Spec spec;
  spec.program = "qemu-io";
  spec.args = {"-f", format, "-c", command, image};
  spec.capture_output = true;
  auto ran = process::run(spec, 60s);
  REQUIRE(ran.is_ok());
  return *ran;
}

std::string image_format(const std::string& image) {
  process::Spec spec;
  spec.program = "qemu-img";
  spec.args = {"info", "--output=json", image};
  spec.capture_output = true;
  auto ran = process::run(spec, 60s);
  REQUIRE(ran.is_ok());
  REQUIRE(ran->exit_code == 0);
  return nlohmann::json::parse(ran->output)["format"].get<std::string>();
}

}  // namespace

TEST_CASE("a virtual machine's disk image moves qcow2 to raw to vmdk across three image stores") {
  testing::TempDir dir;
  Federation f = federation_in(dir.path());
  f.spec.environment["MPLI_MIGRATIONS_GRACE_PERIOD"] = "0s";
  // No scan after the first: delivery's task_finished events alone must drive the migrations.
  f.spec.environment["MPLI_MIGRATIONS_SCAN_INTERVAL"] = "1h";
  auto federation = process::ChildProcess::spawn(f.spec);
  REQUIRE(federation.is_ok());
  wait_until_ready(f, *federation, 120s);
  Consumer acme = consumer_of(f, "acme");

  std::vector<std::string> offerings;
  for (const auto& provider : kDemoProviders) {
    offerings.push_back(acme.offering_of("VirtualMachine", provider));
  }
  const std::string order_id =
      acme.active_order(offerings[0], nlohmann::json::object(), "mig-vm-1");
  nlohmann::json at_a = acme.order(order_id);
  const std::string image_a = at_a["outputs"]["image_path"].get<std::string>();
  INFO(at_a.dump(2));
  REQUIRE(image_format(image_a) == "qcow2");
  // A recognisable first and last megabyte, so a conversion that loses or shifts data fails.
  REQUIRE(qemu_io("qcow2", image_a, "write -P 0x5a 0 1M").exit_code == 0);
  REQUIRE(qemu_io("qcow2", image_a, "write -P 0xa5 31M 1M").exit_code == 0);

  nlohmann::json first = acme.migrate(order_id, offerings[1], "offline", "mig-vm-a-b");
  nlohmann::json at_b = acme.order(order_id);
  const std::string image_b = at_b["outputs"]["image_path"].get<std::string>();
  CHECK(at_b["provider_id"] == "nordwolke");
  CHECK(image_format(image_b) == "raw");
  nlohmann::json second = acme.migrate(order_id, offerings[2], "offline", "mig-vm-b-c");
  nlohmann::json at_c = acme.order(order_id);
  const std::string image_c = at_c["outputs"]["image_path"].get<std::string>();
  CHECK(at_c["provider_id"] == "polderstack");
  CHECK(image_format(image_c) == "vmdk");
  auto head = qemu_io("vmdk", image_c, "read -P 0x5a 0 1M");
  INFO(head.output);
  CHECK(head.exit_code == 0);
  CHECK(head.output.find("Pattern verification failed") == std::string::npos);
  auto tail = qemu_io("vmdk", image_c, "read -P 0xa5 31M 1M");
  INFO(tail.output);
  CHECK(tail.exit_code == 0);
  CHECK(tail.output.find("Pattern verification failed") == std::string::npos);
  // The sources are gone after the (zero) grace period.
  testing::wait_until(
      [&] { return !std::filesystem::exists(image_a) && !std::filesystem::exists(image_b); }, 60s,
      "the images gone from hexacloud's and nordwolke's stores");

  check_report(acme, first, "hexacloud", "nordwolke", "sha256");
  check_report(acme, second, "nordwolke", "polderstack", "sha256");
  stop_federation(*federation, 60s);
}
