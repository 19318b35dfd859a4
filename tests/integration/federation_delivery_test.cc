// `mpli up` as a federation that delivers: every demo provider gets its own PostgreSQL server and
// its own PostgreSQL worker, whose NATS user reaches that provider's work only; a managed
// PostgreSQL ordered through the gateway really becomes a database on that provider's server.
#include <google/protobuf/util/json_util.h>
#include <nats/nats.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
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

  // Each provider's line in the start-up summary says where its PostgreSQL runs.
  for (size_t i = 0; i < kDemoProviders.size(); ++i) {
    std::string line = "provider " + kDemoProviders[i] + ": PostgreSQL on 127.0.0.1:" +
                       std::to_string(f.pg_port + static_cast<int>(i) + 1);
    wait_for_federation(
        f, *federation, [&] { return read_file(f.up_log).find(line) != std::string::npos; }, 90s,
        "'" + line + "' in the output of mpli up");
  }
  wait_until_ready(f, *federation, 90s);
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
    CHECK(mode_of(f.state_dir + "/providers/" + provider + "/server.dsn") == 0600);
    CHECK(up_log.find("worker-" + provider + " started (pid") != std::string::npos);
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

  {
    // A consumer orders nordwolke's managed PostgreSQL through the gateway: delivery re-checks
    // nothing (an offering order), hands the work to nordwolke's worker, which creates the
    // database on nordwolke's own server; the returned credentials connect; a modify changes its
    // connection limit; a delete drops it.
    process::Spec mint;
    mint.program = testing::bin_dir() + "/mpli";
    mint.args = {"token",    "create", "--role",  "consumer",
                 "--tenant", "acme",   "--state", f.state_dir};
    mint.capture_output = true;
    auto minted = process::run(mint, 30s);
    REQUIRE(minted.is_ok());
    REQUIRE(minted->exit_code == 0);
    std::string token = minted->output;
    while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
    token = token.substr(token.rfind('\n') == std::string::npos ? 0 : token.rfind('\n') + 1);
    const std::string base = "http://127.0.0.1:" + std::to_string(f.http_port);
    const std::string auth = "Authorization: Bearer " + token;

    // `mpli up` registers the demo providers once the hub is ready: wait for nordwolke's.
    std::string offering;
    testing::wait_until(
        [&] {
          auto listed =
              testing::http_get(base + "/v1/offerings?kind=ManagedPostgreSQL&provider=nordwolke");
          if (listed.status != 200) return false;
          auto offerings = nlohmann::json::parse(listed.body)["offerings"];
          if (offerings.empty()) return false;
          offering = offerings[0]["id"].get<std::string>();
          return true;
        },
        60s, "nordwolke's managed PostgreSQL in the catalogue");

    auto created = testing::http_request(
        "POST", base + "/v1/orders",
        nlohmann::json{{"offering", offering}, {"parameters", {{"connection_limit", "5"}}}}.dump(),
        {auth, "Content-Type: application/json", "Idempotency-Key: federation-order-1"});
    INFO(created.body);
    REQUIRE(created.status == 201);
    const std::string id = nlohmann::json::parse(created.body)["id"].get<std::string>();
    auto order_state = [&] {
      auto got = testing::http_request("GET", base + "/v1/orders/" + id, "", {auth});
      return got.status == 200 ? nlohmann::json::parse(got.body)["state"].get<std::string>() : "";
    };
    testing::wait_until([&] { return order_state() == "active"; }, 90s, id + " active");

    auto shown =
        testing::http_request("GET", base + "/v1/orders/" + id + "?include=secrets", "", {auth});
    REQUIRE(shown.status == 200);
    auto order = nlohmann::json::parse(shown.body);
    INFO(order.dump());
    const auto& outputs = order["outputs"];
    CHECK(outputs["host"] == "127.0.0.1");
    CHECK(outputs["port"] == std::to_string(f.pg_port + 2));  // nordwolke's own server
    const std::string database = outputs["database"].get<std::string>();
    const std::string password = order["secrets"]["password"].get<std::string>();
    // The password is nowhere but in this answer: not in the order's plain reads, not in a log.
    auto plain = testing::http_request("GET", base + "/v1/orders/" + id, "", {auth});
    CHECK(plain.body.find(password) == std::string::npos);
    {
      pqxx::connection c("host=127.0.0.1 port=" + outputs["port"].get<std::string>() +
                         " dbname=" + database + " user=" + outputs["user"].get<std::string>() +
                         " password=" + password + " connect_timeout=5");
      pqxx::work tx(c);
      CHECK(tx.exec1("SELECT current_database()")[0].as<std::string>() == database);
    }
    auto on_server = [&](int index, const std::string& provider, const std::string& column) {
      pqxx::connection c(provider_dsn(f, index, provider));
      pqxx::work tx(c);
      auto rows =
          tx.exec_params("SELECT " + column + " FROM pg_database WHERE datname = $1", database);
      return rows.empty() ? std::string("none") : rows[0][0].as<std::string>();
    };
    CHECK(on_server(0, "hexacloud", "datname") == "none");
    CHECK(on_server(1, "nordwolke", "datconnlimit") == "5");
    CHECK(on_server(2, "polderstack", "datname") == "none");

    auto modified =
        testing::http_request("PATCH", base + "/v1/orders/" + id,
                              nlohmann::json{{"parameters", {{"connection_limit", "7"}}}}.dump(),
                              {auth, "Content-Type: application/json"});
    INFO(modified.body);
    REQUIRE(modified.status == 200);
    testing::wait_until([&] { return on_server(1, "nordwolke", "datconnlimit") == "7"; }, 90s,
                        "connection limit 7 on nordwolke's server");
    testing::wait_until([&] { return order_state() == "active"; }, 90s, id + " active again");

    // Billable time is counted in whole seconds: let two pass before the deletion, so the
    // month's bill has a line for the order.
    const auto billable_until = std::chrono::steady_clock::now() + 2s;
    testing::wait_until([&] { return std::chrono::steady_clock::now() >= billable_until; }, 10s,
                        "two billable seconds");
    auto deleted = testing::http_request("DELETE", base + "/v1/orders/" + id, "", {auth});
    INFO(deleted.body);
    REQUIRE(deleted.status == 202);
    testing::wait_until([&] { return order_state() == "deleted"; }, 90s, id + " deleted");
    CHECK(on_server(1, "nordwolke", "datname") == "none");

    // The month's bill has the order's line, from the time it was active to its deletion.
    std::time_t now = std::time(nullptr);
    std::tm utc{};
    gmtime_r(&now, &utc);
    char period[8];
    std::strftime(period, sizeof(period), "%Y-%m", &utc);
    auto bill =
        testing::http_request("GET", base + "/v1/bills?period=" + std::string(period), "", {auth});
    INFO(bill.body);
    REQUIRE(bill.status == 200);
    auto lines = nlohmann::json::parse(bill.body)["lines"];
    REQUIRE(lines.size() == 1);
    CHECK(lines[0]["order_id"] == id);
    CHECK(lines[0]["provider_id"] == "nordwolke");
    CHECK(lines[0]["unit_price"] == "149.00");
    CHECK(lines[0]["billable_seconds"].get<int64_t>() >= 2);
    auto totals = nlohmann::json::parse(bill.body)["totals"];
    REQUIRE(totals.size() == 1);
    CHECK(totals[0]["amount"] == lines[0]["amount"]);
    for (const auto& log : federation_logs(f)) {
      INFO("the database password in " << log);
      CHECK(read_file(log).find(password) == std::string::npos);
    }
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
