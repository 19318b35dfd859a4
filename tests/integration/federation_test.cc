// The local federation end to end: `mpli up` starts everything, /readyz turns ready, the logs
// fill while it runs, PostgreSQL wants its password, SIGINT stops every process it started, and
// a second start finds the data of the first. A service killed again and again is restarted
// as long as each run was healthy; one that keeps crashing stops the federation.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <random>
#include <sstream>

#include "libs/bus/connection.h"
#include "libs/core/services.h"
#include "libs/process/child_process.h"
#include "libs/testing/environment.h"
#include "mpli/common/v1/envelope.pb.h"
#include "tests/integration/federation_fixture.h"

using namespace mpli;
using namespace mpli::fixture;
using namespace std::chrono_literals;

namespace {
int free_port() {
  auto port = process::free_tcp_port();
  REQUIRE(port.is_ok());
  return *port;
}

std::string readyz(int port) {
  return testing::http_get("http://127.0.0.1:" + std::to_string(port) + "/readyz").body;
}

size_t count_of(const std::string& text, const std::string& part) {
  size_t count = 0;
  for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++count;
  return count;
}

pid_t parent_of(pid_t pid) {
  std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  auto close_paren = stat.rfind(')');
  if (close_paren == std::string::npos) return -1;
  std::istringstream fields(stat.substr(close_paren + 2));
  std::string state;
  pid_t parent = -1;
  fields >> state >> parent;
  return parent;
}

pid_t pid_of_instance(const std::string& instance) {
  auto colon = instance.rfind(':');
  return colon == std::string::npos ? -1
                                    : static_cast<pid_t>(std::stol(instance.substr(colon + 1)));
}

// Waits until `service` has been healthy for at least `uptime_seconds`, and returns its pid.
pid_t wait_for_service_up(bus::Connection& bus, const std::string& service, long uptime_seconds,
                          const std::string& what) {
  pid_t pid = -1;
  testing::wait_until(
      [&] {
        auto health = health_of(bus, service);
        if (!health || health->status() != "ok" || health->uptime_seconds() < uptime_seconds) {
          return false;
        }
        pid = pid_of_instance(health->instance());
        return pid > 0;
      },
      60s, what);
  return pid;
}

// Kills a service of the federation with SIGKILL, as a crash would; only a child of the
// `mpli up` this test started.
void crash(pid_t service_pid, pid_t federation_pid) {
  REQUIRE(parent_of(service_pid) == federation_pid);
  REQUIRE(kill(service_pid, SIGKILL) == 0);
  testing::wait_until([&] { return !process::process_alive(service_pid); }, 10s,
                      "killed service gone");
}
}  // namespace

TEST_CASE("gateway /readyz is 503 until every service answers, then 200") {
  testing::TempDir dir;
  testing::TestNats nats(dir.path());
  testing::TestPostgres pg(dir.path());
  int http_port = free_port();
  std::map<std::string, std::string> env = {{"MPLI_NATS_URL", nats.url()},
                                            {"MPLI_DATABASE_URL", pg.dsn()},
                                            {"MPLI_HTTP_PORT", std::to_string(http_port)},
                                            {"MPLI_READYZ_TIMEOUT", "300ms"}};
  auto gateway = testing::start_binary("mpli-gateway", env, dir.path());
  std::string base = "http://127.0.0.1:" + std::to_string(http_port);
  testing::wait_until([&] { return testing::http_get(base + "/healthz").status == 200; }, 20s,
                      "gateway serves /healthz");

  auto not_ready = testing::http_get(base + "/readyz");
  CHECK(not_ready.status == 503);
  auto body = nlohmann::json::parse(not_ready.body);
  CHECK(body["status"] == "not_ready");
  CHECK(body["services"]["discovery"]["status"] == "unavailable");

  auto unknown = testing::http_get(base + "/v1/nothing-here");
  CHECK(unknown.status == 404);
  CHECK(unknown.content_type == "application/problem+json");

  std::vector<process::ChildProcess> services;
  for (std::string_view name : kServiceNames) {
    services.push_back(testing::start_binary("mpli-" + std::string(name), env, dir.path()));
  }
  testing::wait_until([&] { return testing::http_get(base + "/readyz").status == 200; }, 60s,
                      "all five services ready");
  auto ready = nlohmann::json::parse(testing::http_get(base + "/readyz").body);
  CHECK(ready["status"] == "ready");
  for (std::string_view name : kServiceNames) {
    CHECK(ready["services"][std::string(name)]["status"] == "ok");
  }
}

TEST_CASE(
    "mpli up runs the federation and SIGINT stops every process and data survives a restart") {
  unsetenv("PGPASSWORD");
  testing::TempDir dir;
  Federation f = federation_in(dir.path());
  std::string password_file = f.state_dir + "/postgres/password";

  for (int round = 1; round <= 2; ++round) {
    auto federation = process::ChildProcess::spawn(f.spec);
    REQUIRE(federation.is_ok());
    wait_for_federation(
        f, *federation, [&] { return federation_ready(f.http_port); }, 60s,
        "federation ready (round " + std::to_string(round) + ")");
    CHECK(nlohmann::json::parse(readyz(f.http_port))["status"] == "ready");
    // The three demo providers are served and registered (their manifests are the examples).
    std::string providers_url =
        "http://127.0.0.1:" + std::to_string(f.http_port) + "/.well-known/mpli-providers";
    testing::wait_until(
        [&] {
          auto r = testing::http_get(providers_url);
          return r.status == 200 && nlohmann::json::parse(r.body)["providers"].size() == 3;
        },
        60s, "demo providers registered (round " + std::to_string(round) + ")");
    // The demo issuer's credentials make the claims verified facts, except the one
    // certification each provider signed itself, which stays a claim.
    std::string hexacloud = "https%3A%2F%2Fhexacloud.example%2F.well-known%2Fmpli.ttl%23provider";
    std::string base = "http://127.0.0.1:" + std::to_string(f.http_port);
    // `mpli up` writes an admin token (0600) signed with the hub key it keeps in the state dir.
    std::string admin_token = read_file(f.state_dir + "/admin-token");
    while (!admin_token.empty() && admin_token.back() == '\n') admin_token.pop_back();
    REQUIRE_FALSE(admin_token.empty());
    struct stat token_info {};
    REQUIRE(stat((f.state_dir + "/admin-token").c_str(), &token_info) == 0);
    CHECK((token_info.st_mode & 0077) == 0);
    REQUIRE(stat((f.state_dir + "/hub-signing-key.pem").c_str(), &token_info) == 0);
    CHECK((token_info.st_mode & 0077) == 0);
    const std::vector<std::string> admin = {"Authorization: Bearer " + admin_token};
    auto get = [&](const std::string& path) {
      return testing::http_request("GET", base + path, "", admin);
    };
    CHECK(testing::http_get(base + "/v1/facts?subject=" + hexacloud).status == 401);
    testing::wait_until(
        [&] {
          auto r = get("/v1/facts?subject=" + hexacloud);
          return r.status == 200 &&
                 r.body.find("https://w3id.org/mpli#ISO27001") != std::string::npos &&
                 r.body.find("\"FR\"") != std::string::npos;
        },
        60s, "the demo credentials verify (round " + std::to_string(round) + ")");
    // The credentials are checked one by one in no set order: the self-signed one may come
    // after the facts above. Once it is kept as untrusted, it is no fact.
    int untrusted = 0;
    testing::wait_until(
        [&] {
          auto kept = nlohmann::json::parse(
              get("/v1/credentials?subject=" + hexacloud).body)["credentials"];
          untrusted = 0;
          for (const auto& credential : kept) {
            untrusted += credential["state"] == "untrusted" ? 1 : 0;
          }
          return untrusted > 0;
        },
        60s,
        "the self-signed certification kept as untrusted (round " + std::to_string(round) + ")");
    CHECK(untrusted == 1);
    auto facts = get("/v1/facts?subject=" + hexacloud);
    CHECK(facts.body.find("https://w3id.org/mpli#EUCSHigh") == std::string::npos);

    // The demo consumers are onboarded: the web shop resolves to ranked answers, and the
    // unservable manifest says why nothing serves it.
    auto resolve = [&](const std::string& example) {
      process::Spec cli;
      cli.program = testing::bin_dir() + "/mpli";
      // The admin token `mpli up` wrote: resolving needs a signed-in caller.
      cli.args = {"resolve",      std::string(MPLI_SOURCE_DIR) + "/ontology/examples/" + example,
                  "--hub",        base,
                  "--token-file", f.state_dir + "/admin-token"};
      auto completed = process::run(cli, 60s);
      REQUIRE(completed.is_ok());
      return *completed;
    };
    process::Completed web_shop;
    testing::wait_until(
        [&] {
          web_shop = resolve("consumer-web-shop.ttl");
          return web_shop.exit_code == 0;
        },
        60s,
        "mpli resolve consumer-web-shop.ttl finds answers (round " + std::to_string(round) + ")");
    INFO(web_shop.output);
    CHECK(web_shop.output.find("resolution res_") != std::string::npos);
    CHECK(web_shop.output.find("nordwolke") != std::string::npos);
    process::Completed unservable = resolve("consumer-unservable.ttl");
    INFO(unservable.output);
    CHECK(unservable.exit_code == 4);  // answered, but nothing satisfies it
    CHECK(unservable.output.find("No offering satisfies requirement") != std::string::npos);

    // Service logs reach their files line by line, not only when the federation stops.
    testing::wait_until(
        [&] {
          return read_file(f.state_dir + "/logs/discovery.log").find("\"msg\":\"ready\"") !=
                 std::string::npos;
        },
        30s, "discovery's ready line in its log file while it runs");

    // PostgreSQL wants the password kept, readable by its owner only, in the state directory.
    struct stat info {};
    REQUIRE(stat(password_file.c_str(), &info) == 0);
    CHECK((info.st_mode & 0777) == 0600);
    std::string password;
    std::getline(std::ifstream(password_file), password);
    REQUIRE_FALSE(password.empty());
    std::string dsn = "host=127.0.0.1 port=" + std::to_string(f.pg_port) +
                      " dbname=mpli user=postgres passfile=/dev/null connect_timeout=5";
    CHECK_THROWS_WITH(pqxx::connection(dsn), Catch::Contains("password"));
    {
      pqxx::connection c(dsn + " password=" + password);
      pqxx::work tx(c);
      if (round == 1) {
        tx.exec0("CREATE TABLE survival (note text)");
        tx.exec0("INSERT INTO survival VALUES ('written in round 1')");
      } else {
        CHECK(tx.exec1("SELECT note FROM survival")[0].as<std::string>() == "written in round 1");
      }
      tx.commit();
    }

    std::vector<pid_t> started = stop_federation(*federation, 15s);
    INFO("processes under mpli up: " << started.size());
    CHECK(started.size() >= 11);  // nats-server, postgres, 3 demo providers, 5 services, gateway

    // The services got the password through their environment; no log shows it.
    for (const auto& log : federation_logs(f)) {
      INFO("log " << log);
      CHECK(read_file(log).find(password) == std::string::npos);
    }
  }
}

TEST_CASE("a service killed more often than the old restart budget is restarted every time") {
  testing::TempDir dir;
  Federation f = federation_in(dir.path(), {"--demo-dir", "none"});
  // Through the environment, which older versions ignore: the only difference they see is
  // being killed more often than their budget of five restarts allowed.
  f.spec.environment["MPLI_RESTART_HEALTHY_AFTER"] = "1s";
  auto federation = process::ChildProcess::spawn(f.spec);
  REQUIRE(federation.is_ok());
  wait_until_ready(f, *federation, 60s);

  auto client = bus::Connection::connect(operator_login(f));
  REQUIRE(client.is_ok());

  const int kCrashes = 7;  // the old supervisor stopped everything at the sixth exit
  for (int i = 1; i <= kCrashes; ++i) {
    // Healthy for the (shortened) healthy period first, so the crash is an isolated one.
    pid_t trust = wait_for_service_up(**client, "trust", 1,
                                      "trust up for 1s before crash " + std::to_string(i));
    crash(trust, federation->pid());
  }
  wait_for_federation(
      f, *federation, [&] { return federation_ready(f.http_port); }, 60s,
      "federation ready after the crashes");
  CHECK(federation->running());
  std::string up_log = read_file(f.up_log);
  // Only the supervisor's restart lines: the whole log is too long for CI's output.
  std::string restarts;
  size_t trust_first_restarts = 0;
  std::istringstream lines(up_log);
  for (std::string line; std::getline(lines, line);) {
    if (line.find("restarting") == std::string::npos &&
        line.find("keeps exiting") == std::string::npos)
      continue;
    restarts += line + "\n";
    if (line.find("trust was killed by signal 9") != std::string::npos &&
        line.find("(restart 1 of 5 ") != std::string::npos)
      ++trust_first_restarts;
  }
  INFO(restarts);
  // Each kill is an isolated crash, so each is the first restart of a fresh budget. Counted
  // for trust only: another service exiting once on a loaded machine (a JetStream request
  // timing out in its start, say) is restarted too, and is not what this test is about.
  CHECK(trust_first_restarts == kCrashes);
  CHECK(count_of(up_log, "keeps exiting") == 0);

  REQUIRE(federation->send_signal(SIGINT).is_ok());
  auto status = federation->wait_for(30s);
  REQUIRE(status.has_value());
  CHECK(WIFEXITED(*status));
  CHECK(WEXITSTATUS(*status) == 0);
}

TEST_CASE("a service that keeps crashing stops the federation once its restart budget is spent") {
  testing::TempDir dir;
  Federation f = federation_in(dir.path(), {"--demo-dir", "none", "--restart-budget", "1"});
  auto federation = process::ChildProcess::spawn(f.spec);
  REQUIRE(federation.is_ok());
  wait_until_ready(f, *federation, 60s);

  auto client = bus::Connection::connect(operator_login(f));
  REQUIRE(client.is_ok());

  pid_t first = wait_for_service_up(**client, "trust", 0, "trust up");
  crash(first, federation->pid());
  // The one restart the budget allows; its run is far shorter than the default 60s.
  pid_t second = wait_for_service_up(**client, "trust", 0, "trust restarted");
  REQUIRE(second != first);
  std::vector<pid_t> started = descendants(federation->pid());
  crash(second, federation->pid());

  auto status = federation->wait_for(60s);
  REQUIRE(status.has_value());
  CHECK(WIFEXITED(*status));
  CHECK(WEXITSTATUS(*status) == 1);
  for (pid_t pid : started) {
    INFO("pid " << pid << " still alive after mpli up gave up");
    CHECK_FALSE(process::process_alive(pid));
  }
  std::string up_log = read_file(f.up_log);
  INFO(up_log);
  auto gave_up = up_log.find("keeps exiting");
  REQUIRE(gave_up != std::string::npos);
  auto line_start = up_log.rfind('\n', gave_up) + 1;
  CHECK(up_log.compare(line_start, 36, "mpli | trust was killed by signal 9 ") == 0);
  CHECK(count_of(up_log, "trust started (pid") == 2);
}
