// Service processes against real dependencies: a service started before NATS exists becomes
// healthy when NATS appears, or stops when told to while it waits; SIGTERM drains and exits 0.
#include <signal.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>

#include "libs/bus/connection.h"
#include "libs/process/child_process.h"
#include "libs/testing/environment.h"
#include "mpli/common/v1/envelope.pb.h"

using namespace mpli;
using namespace std::chrono_literals;

namespace {
bool healthy(bus::Connection& bus, const std::string& service) {
  auto reply = bus.request("mpli." + service + ".v1.health", "", 500ms);
  if (!reply) return false;
  mpli::common::v1::HealthReply health;
  return health.ParseFromString(reply->data) && health.status() == "ok";
}
}  // namespace

TEST_CASE("a service started before NATS is up connects when NATS appears") {
  testing::TempDir dir;
  testing::TestPostgres pg(dir.path());
  auto port = process::free_tcp_port();
  REQUIRE(port.is_ok());
  std::string url = "nats://127.0.0.1:" + std::to_string(*port);

  auto service = testing::start_binary(
      "mpli-trust", {{"MPLI_NATS_URL", url}, {"MPLI_DATABASE_URL", pg.dsn()}}, dir.path());
  // It must keep running (waiting), not give up, while there is no server.
  REQUIRE_FALSE(service.wait_for(1500ms).has_value());
  REQUIRE_FALSE(process::tcp_port_open("127.0.0.1", *port));

  testing::TestNats nats(dir.path(), *port);
  bus::ConnectOptions options;
  options.url = nats.url();
  auto client = bus::Connection::connect(options);
  REQUIRE(client.is_ok());
  testing::wait_until([&] { return healthy(**client, "trust"); }, 30s,
                      "trust becomes healthy after NATS appears");

  REQUIRE(service.send_signal(SIGTERM).is_ok());
  auto status = service.wait_for(15s);
  REQUIRE(status.has_value());
  CHECK(WIFEXITED(*status));
  CHECK(WEXITSTATUS(*status) == 0);
}

TEST_CASE("a service waiting for a bus that never comes stops at once when told to") {
  testing::TempDir dir;
  testing::TestPostgres pg(dir.path());
  auto port = process::free_tcp_port();
  REQUIRE(port.is_ok());
  auto service =
      testing::start_binary("mpli-trust",
                            {{"MPLI_NATS_URL", "nats://127.0.0.1:" + std::to_string(*port)},
                             {"MPLI_DATABASE_URL", pg.dsn()}},
                            dir.path());
  REQUIRE_FALSE(service.wait_for(1500ms).has_value());
  REQUIRE(service.send_signal(SIGTERM).is_ok());
  // Well within mpli up's stop grace (10 s): it asks between tries (every 250 ms).
  auto status = service.wait_for(5s);
  REQUIRE(status.has_value());
  CHECK(WIFEXITED(*status));
  CHECK(WEXITSTATUS(*status) == 0);
}

TEST_CASE("a service reports degraded while PostgreSQL is down and recovers after") {
  testing::TempDir dir;
  testing::TestNats nats(dir.path());
  testing::TestPostgres pg(dir.path());
  auto service = testing::start_binary(
      "mpli-delivery", {{"MPLI_NATS_URL", nats.url()}, {"MPLI_DATABASE_URL", pg.dsn()}},
      dir.path());
  bus::ConnectOptions options;
  options.url = nats.url();
  auto client = bus::Connection::connect(options);
  REQUIRE(client.is_ok());
  testing::wait_until([&] { return healthy(**client, "delivery"); }, 30s, "delivery healthy");

  pg.stop();
  testing::wait_until([&] { return !healthy(**client, "delivery"); }, 30s,
                      "delivery reports degraded without its database");
  auto reply = (*client)->request("mpli.delivery.v1.health", "", 2s);
  REQUIRE(reply.is_ok());
  mpli::common::v1::HealthReply health;
  REQUIRE(health.ParseFromString(reply->data));
  CHECK(health.status() == "degraded");
  CHECK(health.checks().at("database") == "unreachable");

  pg.start();
  testing::wait_until([&] { return healthy(**client, "delivery"); }, 30s,
                      "delivery healthy again after PostgreSQL restarts");
}

TEST_CASE("a bad configuration value stops the service at start with a clear message") {
  testing::TempDir dir;
  process::Spec spec;
  spec.program = testing::bin_dir() + "/mpli-discovery";
  spec.environment = {{"MPLI_NATS_URL", "localhost:4222"}};
  auto done = process::run(spec, 10s);
  REQUIRE(done.is_ok());
  CHECK(done->exit_code == 2);
  CHECK(done->output.find("MPLI_NATS_URL (nats.url): must be a URL starting with nats:// or "
                          "tls:// (got 'localhost:4222')") != std::string::npos);
}
