// The service kit's stop order on a real process (mpli-test-consumer): SIGTERM lets a request
// in flight finish, stops workers and timers, releases owned objects in reverse order and
// exits 0 within shutdown.timeout; a start hook that fails halfway tears down what it made and
// exits 1, also when a worker or a request does not give up.
#include <google/protobuf/wrappers.pb.h>
#include <signal.h>
#include <sys/wait.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <fstream>
#include <future>
#include <sstream>

#include "libs/bus/call.h"
#include "libs/testing/environment.h"
#include "mpli/common/v1/envelope.pb.h"

using namespace mpli;
using namespace std::chrono_literals;
using google::protobuf::StringValue;

namespace {

constexpr const char* kBinary = "mpli-test-consumer";

Result<StringValue> echo(bus::Connection& bus, const std::string& text,
                         std::chrono::milliseconds deadline = 5s) {
  StringValue request;
  request.set_value(text);
  return bus::call<StringValue>(bus, "mpli.probe.v1.echo", request, deadline);
}

bool healthy(bus::Connection& bus) {
  auto reply = bus.request("mpli.probe.v1.health", "", 500ms);
  if (!reply) return false;
  common::v1::HealthReply health;
  return health.ParseFromString(reply->data) && health.status() == "ok";
}

std::string read_log(const std::string& dir) {
  std::ifstream in(dir + "/" + kBinary + ".log");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Position of `needle` in the log, or npos.
size_t log_position(const std::string& log, const std::string& needle) { return log.find(needle); }

// The bus, a database and a counter of the probe's heartbeats.
struct Fixture {
  testing::TempDir dir;
  testing::TestNats nats{dir.path()};
  testing::TestPostgres pg{dir.path()};
  std::unique_ptr<bus::Connection> bus;
  std::atomic<int> heartbeats{0};
  std::atomic<int> echo_started{0};
  std::unique_ptr<bus::Subscription> heartbeat_sub;
  std::unique_ptr<bus::Subscription> started_sub;

  Fixture() {
    bus::ConnectOptions options;
    options.url = nats.url();
    auto connected = bus::Connection::connect(options);
    REQUIRE(connected.is_ok());
    bus = std::move(connected).value();
    REQUIRE(bus->wait_connected(10s).is_ok());
    auto hb =
        bus->subscribe("mpli.probe.v1.heartbeat", [this](const bus::Message&) { ++heartbeats; });
    REQUIRE(hb.is_ok());
    heartbeat_sub = std::move(hb).value();
    auto started = bus->subscribe("mpli.probe.v1.echo_started",
                                  [this](const bus::Message&) { ++echo_started; });
    REQUIRE(started.is_ok());
    started_sub = std::move(started).value();
    REQUIRE(bus->flush(5s).is_ok());
  }

  std::map<std::string, std::string> env(std::map<std::string, std::string> extra) const {
    extra["MPLI_NATS_URL"] = nats.url();
    extra["MPLI_DATABASE_URL"] = pg.dsn();
    return extra;
  }
};

int exit_code_of(int wait_status) { return WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : -1; }

}  // namespace

TEST_CASE("SIGTERM finishes the request in flight, stops workers and exits 0 within the timeout") {
  Fixture f;
  auto probe = testing::start_binary(
      kBinary, f.env({{"MPLI_PROBE_WORKER", "true"}, {"MPLI_SHUTDOWN_TIMEOUT", "8s"}}),
      f.dir.path());
  testing::wait_until([&] { return healthy(*f.bus); }, 30s, "the probe is ready");
  testing::wait_until([&] { return f.heartbeats >= 3; }, 10s, "the worker beats");

  // A typed error names the field and the service it comes from.
  auto refused = echo(*f.bus, "");
  CHECK(refused.status().code() == StatusCode::kInvalidArgument);
  CHECK(refused.status().detail("field") == "value");
  CHECK(refused.status().detail("domain") == "probe");

  auto slow = std::async(std::launch::async, [&] { return echo(*f.bus, "sleep:1500", 20s); });
  testing::wait_until([&] { return f.echo_started >= 1; }, 10s, "the slow request is running");
  REQUIRE(probe.send_signal(SIGTERM).is_ok());

  // Within shutdown.timeout (8 s); past it the runtime's last resort exits 1, not 0.
  auto status = probe.wait_for(8s);
  REQUIRE(status.has_value());
  CHECK(exit_code_of(*status) == 0);
  auto answer = slow.get();
  REQUIRE(answer.is_ok());  // drained, not dropped
  CHECK(answer->value() == "slept 1500");

  std::string log = read_log(f.dir.path());
  INFO(log);
  CHECK(log_position(log, "probe ticker ticked") != std::string::npos);
  size_t worker_stopped = log_position(log, "probe worker stopped");
  size_t second = log_position(log, R"("object":"second")");
  size_t first = log_position(log, R"("object":"first")");
  REQUIRE(worker_stopped != std::string::npos);
  REQUIRE(second != std::string::npos);
  REQUIRE(first != std::string::npos);
  CHECK(worker_stopped < second);  // workers stop before what they may use is released
  CHECK(second < first);           // owned objects go in reverse order of own()
  CHECK(log_position(log, R"("msg":"stopped")") != std::string::npos);
}

TEST_CASE("a start hook that fails halfway tears down its endpoints and workers and exits 1") {
  Fixture f;
  auto probe = testing::start_binary(
      kBinary, f.env({{"MPLI_PROBE_WORKER", "true"}, {"MPLI_PROBE_FAIL_START", "true"}}),
      f.dir.path());
  // What start made so far works: the endpoint answers, the worker beats.
  testing::wait_until([&] { return echo(*f.bus, "hi", 500ms).is_ok(); }, 30s, "echo answers");
  testing::wait_until([&] { return f.heartbeats >= 3; }, 10s, "the worker beats");
  CHECK_FALSE(healthy(*f.bus));  // not ready while start runs

  auto told = echo(*f.bus, "fail-start");
  REQUIRE(told.is_ok());
  auto status = probe.wait_for(20s);
  REQUIRE(status.has_value());
  CHECK(exit_code_of(*status) == 1);

  auto after = echo(*f.bus, "hi", 1s);
  CHECK_FALSE(after.is_ok());
  std::string log = read_log(f.dir.path());
  INFO(log);
  size_t cannot_start = log_position(log, "cannot start");
  size_t worker_stopped = log_position(log, "probe worker stopped");
  size_t second = log_position(log, R"("object":"second")");
  size_t first = log_position(log, R"("object":"first")");
  REQUIRE(cannot_start != std::string::npos);
  CHECK(log.find("told to fail halfway") != std::string::npos);
  REQUIRE(worker_stopped != std::string::npos);
  REQUIRE(second != std::string::npos);
  REQUIRE(first != std::string::npos);
  CHECK(cannot_start < worker_stopped);
  CHECK(worker_stopped < second);
  CHECK(second < first);
}

TEST_CASE("a failed start whose worker ignores stop still exits 1 within the shutdown timeout") {
  Fixture f;
  auto probe = testing::start_binary(kBinary,
                                     f.env({{"MPLI_PROBE_STUCK_WORKER", "true"},
                                            {"MPLI_PROBE_FAIL_START", "true"},
                                            {"MPLI_SHUTDOWN_TIMEOUT", "1s"}}),
                                     f.dir.path());
  testing::wait_until([&] { return echo(*f.bus, "hi", 500ms).is_ok(); }, 30s, "echo answers");
  REQUIRE(echo(*f.bus, "fail-start").is_ok());
  // Not killed by std::terminate (SIGABRT) and not hanging: a clean exit code 1.
  auto status = probe.wait_for(15s);
  REQUIRE(status.has_value());
  INFO(read_log(f.dir.path()));
  CHECK_FALSE(WIFSIGNALED(*status));
  CHECK(exit_code_of(*status) == 1);
}

TEST_CASE("a failed start whose request in flight never ends still exits 1 within the timeout") {
  Fixture f;
  auto probe = testing::start_binary(
      kBinary, f.env({{"MPLI_PROBE_FAIL_START", "true"}, {"MPLI_SHUTDOWN_TIMEOUT", "1s"}}),
      f.dir.path());
  testing::wait_until([&] { return echo(*f.bus, "hi", 500ms).is_ok(); }, 30s, "echo answers");
  // A request that holds its handler for a minute, then the order to fail.
  auto slow = std::async(std::launch::async, [&] { return echo(*f.bus, "sleep:60000", 8s); });
  testing::wait_until([&] { return f.echo_started >= 1; }, 10s, "the slow request is running");
  REQUIRE(echo(*f.bus, "fail-start").is_ok());
  auto status = probe.wait_for(15s);
  REQUIRE(status.has_value());
  INFO(read_log(f.dir.path()));
  CHECK_FALSE(WIFSIGNALED(*status));
  CHECK(exit_code_of(*status) == 1);
  CHECK_FALSE(slow.get().is_ok());
}
