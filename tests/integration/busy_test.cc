// Capacity limits answer "busy, retry later", never a timeout or an error: an exhausted
// database pool in mpli-discovery becomes 503 + Retry-After at the gateway, and a full endpoint
// queue refuses the overflow at once with kBusy on the bus. The single connection is held
// deterministically: the test locks discovery.providers so the first request's query waits.
#include <atomic>
#include <catch2/catch.hpp>
#include <future>
#include <mutex>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "libs/bus/call.h"
#include "libs/testing/environment.h"
#include "libs/testing/http_exchange.h"
#include "libs/testing/tokens.h"
#include "mpli/common/v1/envelope.pb.h"
#include "mpli/discovery/v1/discovery.pb.h"

using namespace mpli;
using namespace std::chrono_literals;
using nlohmann::json;
namespace v1 = mpli::discovery::v1;

namespace {

// NATS, PostgreSQL, mpli-discovery (and the gateway when asked) with extra settings.
struct Hub {
  testing::TempDir dir;
  testing::TestNats nats{dir.path()};
  testing::TestPostgres pg{dir.path()};
  testing::TestTokens tokens{dir.path()};
  std::map<std::string, std::string> env;
  std::vector<process::ChildProcess> processes;
  std::unique_ptr<bus::Connection> bus;
  std::string base;

  explicit Hub(const std::map<std::string, std::string>& settings, bool gateway) {
    env = {{"MPLI_NATS_URL", nats.url()}, {"MPLI_DATABASE_URL", pg.dsn()}};
    for (const auto& [k, v] : settings) env[k] = v;
    if (gateway) {
      auto port = process::free_tcp_port();
      REQUIRE(port.is_ok());
      env["MPLI_HTTP_PORT"] = std::to_string(*port);
      env["MPLI_AUTH_SIGNING_KEY_FILE"] = tokens.key_file();
      base = "http://127.0.0.1:" + std::to_string(*port);
    }
    processes.push_back(testing::start_binary("mpli-discovery", env, dir.path()));
    if (gateway) processes.push_back(testing::start_binary("mpli-gateway", env, dir.path()));
    bus::ConnectOptions options;
    options.url = nats.url();
    auto connected = bus::Connection::connect(options);
    REQUIRE(connected.is_ok());
    bus = std::move(connected).value();
    testing::wait_until(
        [&] {
          auto reply = bus::call<v1::ListProvidersReply>(*bus, "mpli.discovery.v1.list_providers",
                                                         v1::ListProvidersRequest(), 1s);
          return reply.is_ok();
        },
        60s, "discovery answers");
    if (gateway) {
      testing::wait_until([&] { return testing::http_get(base + "/v1/providers").status == 200; },
                          60s, "the gateway answers");
    }
  }
};

// Holds an ACCESS EXCLUSIVE lock on discovery.providers until release(): every query on the
// table waits, keeping its pooled connection (and its handler) busy.
class TableLock {
 public:
  explicit TableLock(const std::string& dsn) : connection_(dsn), tx_(connection_) {
    tx_.exec0("LOCK TABLE discovery.providers IN ACCESS EXCLUSIVE MODE");
  }
  void release() { tx_.abort(); }

 private:
  pqxx::connection connection_;
  pqxx::work tx_;
};

}  // namespace

TEST_CASE("an exhausted database pool answers 503 with Retry-After, never 413, 500 or 504") {
  Hub hub({{"MPLI_DATABASE_POOL_SIZE", "1"}, {"MPLI_DATABASE_ACQUIRE_TIMEOUT", "300ms"}}, true);

  constexpr int kRequests = 12;
  std::atomic<int> busy_answers{0};
  std::vector<testing::HttpExchange> answers(kRequests);
  std::vector<std::future<void>> requests;
  TableLock lock(hub.pg.dsn());
  for (int i = 0; i < kRequests; ++i) {
    requests.push_back(std::async(std::launch::async, [&, i] {
      answers[i] = testing::http_exchange("GET", hub.base + "/v1/providers", "", {}, 30s);
      if (answers[i].status == 503) ++busy_answers;
    }));
  }
  // The first request's query waits on the lock with the only connection; the others wait
  // for the pool's acquire timeout and are refused.
  testing::wait_until([&] { return busy_answers >= 1; }, 30s, "a request is refused as busy");
  lock.release();
  for (auto& request : requests) request.wait();

  int ok = 0;
  int busy = 0;
  for (const auto& answer : answers) {
    INFO("status " << answer.status << ": " << answer.body);
    CHECK((answer.status == 200 || answer.status == 503));
    if (answer.status == 200) ++ok;
    if (answer.status != 503) continue;
    ++busy;
    CHECK(answer.header("Retry-After") == "1");
    CHECK(answer.header("Content-Type").find("application/problem+json") != std::string::npos);
    auto problem = json::parse(answer.body, nullptr, false);
    REQUIRE(problem.is_object());
    CHECK(problem.value("code", "") == "busy");
    CHECK(problem.value("status", 0) == 503);
  }
  CHECK(busy >= 1);
  CHECK(ok >= 1);  // once the lock went, the requests still waiting were served
}

TEST_CASE("a full endpoint queue refuses the overflow at once with busy on the bus") {
  Hub hub({{"MPLI_HANDLERS_CONCURRENCY", "1"}, {"MPLI_HANDLERS_QUEUE_LIMIT", "1"}}, false);

  // One handler, one place in the queue: with the handler held, of six requests at most two
  // are taken (one running, one waiting) and the rest are refused without waiting.
  constexpr int kRequests = 6;
  std::atomic<int> refused{0};
  std::vector<Result<v1::ListProvidersReply>> answers(kRequests, internal_error("not answered"));
  std::vector<std::future<void>> requests;
  TableLock lock(hub.pg.dsn());
  for (int i = 0; i < kRequests; ++i) {
    requests.push_back(std::async(std::launch::async, [&, i] {
      answers[i] = bus::call<v1::ListProvidersReply>(*hub.bus, "mpli.discovery.v1.list_providers",
                                                     v1::ListProvidersRequest(), 30s);
      if (answers[i].status().code() == StatusCode::kBusy) ++refused;
    }));
  }
  testing::wait_until([&] { return refused >= kRequests - 2; }, 20s,
                      "the requests beyond one running and one queued are refused");
  lock.release();
  for (auto& request : requests) request.wait();

  int ok = 0;
  for (const auto& answer : answers) {
    INFO(answer.status().to_string());
    CHECK((answer.is_ok() || answer.status().code() == StatusCode::kBusy));
    if (answer.is_ok()) ++ok;
    if (answer.status().code() == StatusCode::kBusy) {
      CHECK(answer.status().retry_after() > 0ms);
    }
  }
  CHECK(ok >= 1);
  CHECK(ok <= 2);
  CHECK(ok + refused == kRequests);

  // The refusals are counted as errors with code busy in the endpoint's statistics.
  auto stats = hub.bus->request("mpli.discovery.v1.stats", "", 5s);
  REQUIRE(stats.is_ok());
  auto parsed = json::parse(stats->data, nullptr, false);
  REQUIRE(parsed.is_object());
  bool found = false;
  for (const auto& endpoint : parsed["endpoints"]) {
    if (endpoint["name"] != "list_providers") continue;
    found = true;
    CHECK(endpoint["data"]["errors_by_code"].value("busy", 0) == refused.load());
  }
  CHECK(found);
}

TEST_CASE("a write that finds no free connection answers 503, not 504, with default timeouts") {
  // Defaults: database.acquire_timeout 2 s, the gateway's request.timeout 5 s.
  Hub hub({{"MPLI_DATABASE_POOL_SIZE", "1"}}, true);
  TableLock lock(hub.pg.dsn());
  // A read on the bus takes the only connection and waits on the lock.
  auto holder = std::async(std::launch::async, [&] {
    return bus::call<v1::ListProvidersReply>(*hub.bus, "mpli.discovery.v1.list_providers",
                                             v1::ListProvidersRequest(), 30s);
  });
  testing::wait_until(
      [&] {
        pqxx::connection c(hub.pg.dsn());
        pqxx::nontransaction tx(c);
        return tx.exec1("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")[0]
                   .as<long>() >= 1;
      },
      20s, "a discovery query waits on the lock with the only connection");

  // delete_provider writes in a transaction: it must hear "busy" after one acquire timeout.
  auto answer = testing::http_exchange("DELETE", hub.base + "/v1/providers/nobody", "",
                                       {testing::TestTokens::bearer(hub.tokens.admin())}, 30s);
  lock.release();
  INFO("status " << answer.status << ": " << answer.body);
  CHECK(answer.status == 503);
  auto problem = json::parse(answer.body, nullptr, false);
  CHECK((problem.is_object() && problem.value("code", "") == "busy"));
  CHECK(holder.get().is_ok());
}
