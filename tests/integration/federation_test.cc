// The local federation end to end: `mpli up` starts everything, /readyz turns ready, SIGINT
// stops every process it started, and a second start finds the data of the first.
#include <signal.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <sstream>

#include "libs/core/services.h"
#include "libs/process/child_process.h"
#include "libs/testing/environment.h"

using namespace mpli;
using namespace std::chrono_literals;

namespace {
int free_port() {
  auto port = process::free_tcp_port();
  REQUIRE(port.is_ok());
  return *port;
}

// A port whose next three are free too: `mpli up` puts the demo providers there.
int free_port_block() {
  for (int attempt = 0; attempt < 50; ++attempt) {
    int port = free_port();
    if (port > 65000) continue;
    bool all_free = true;
    for (int i = 1; i <= 3; ++i) all_free = all_free && !process::tcp_port_open("127.0.0.1", port + i);
    if (all_free) return port;
  }
  FAIL("no block of four free ports");
  return 0;
}

std::vector<pid_t> descendants(pid_t pid) {
  std::vector<pid_t> out;
  std::ifstream in("/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) + "/children");
  pid_t child = 0;
  while (in >> child) {
    out.push_back(child);
    for (pid_t grandchild : descendants(child)) out.push_back(grandchild);
  }
  return out;
}

std::string readyz(int port) {
  return testing::http_get("http://127.0.0.1:" + std::to_string(port) + "/readyz").body;
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

TEST_CASE("mpli up runs the federation and SIGINT stops every process and data survives a restart") {
  testing::TempDir dir;
  int http_port = free_port_block();
  int nats_port = free_port();
  int pg_port = free_port();
  process::Spec up;
  up.program = testing::bin_dir() + "/mpli";
  up.args = {"up", "--state-dir", dir.path() + "/state", "--port", std::to_string(http_port),
             "--nats-port", std::to_string(nats_port), "--postgres-port", std::to_string(pg_port)};
  up.output_file = dir.path() + "/up.log";
  std::string dsn = "host=127.0.0.1 port=" + std::to_string(pg_port) + " dbname=mpli user=postgres";

  for (int round = 1; round <= 2; ++round) {
    auto federation = process::ChildProcess::spawn(up);
    REQUIRE(federation.is_ok());
    testing::wait_until(
        [&] { return testing::http_get("http://127.0.0.1:" + std::to_string(http_port) + "/readyz").status == 200; },
        60s, "federation ready (round " + std::to_string(round) + ")");
    CHECK(nlohmann::json::parse(readyz(http_port))["status"] == "ready");
    // The three demo providers are served and registered (their manifests are the examples).
    std::string providers_url = "http://127.0.0.1:" + std::to_string(http_port) + "/.well-known/mpli-providers";
    testing::wait_until(
        [&] {
          auto r = testing::http_get(providers_url);
          return r.status == 200 && nlohmann::json::parse(r.body)["providers"].size() == 3;
        },
        60s, "demo providers registered (round " + std::to_string(round) + ")");

    {
      pqxx::connection c(dsn);
      pqxx::work tx(c);
      if (round == 1) {
        tx.exec0("CREATE TABLE survival (note text)");
        tx.exec0("INSERT INTO survival VALUES ('written in round 1')");
      } else {
        CHECK(tx.exec1("SELECT note FROM survival")[0].as<std::string>() == "written in round 1");
      }
      tx.commit();
    }

    std::vector<pid_t> started = descendants(federation->pid());
    INFO("processes under mpli up: " << started.size());
    REQUIRE(started.size() >= 11);  // nats-server, postgres, 3 demo providers, 5 services, gateway
    REQUIRE(federation->send_signal(SIGINT).is_ok());
    auto status = federation->wait_for(15s);
    REQUIRE(status.has_value());
    CHECK(WIFEXITED(*status));
    CHECK(WEXITSTATUS(*status) == 0);
    for (pid_t pid : started) {
      INFO("pid " << pid << " still alive after mpli up exited");
      CHECK_FALSE(process::process_alive(pid));
    }
  }
}
