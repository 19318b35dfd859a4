// `mpli up --cluster` under faults: a three-node NATS JetStream cluster, two instances of the
// gateway, discovery, resolver and trust. While a consumer orders managed databases and asks
// for resolutions at a steady pace, one NATS node is killed (SIGKILL, not restarted), then one
// instance of each doubled service and delivery's only one (`mpli up` restarts them). A client that meets an error
// tries again, on the other gateway, with the same Idempotency-Key. In the end every accepted
// order is active and was provisioned once, every accepted resolution is there, and the run
// ends with one line: requests, errors, lost, duplicated, recovery time.
#include <signal.h>

#include <algorithm>
#include <functional>
#include <catch2/catch.hpp>
#include <chrono>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "libs/process/child_process.h"
#include "libs/testing/environment.h"
#include "tests/integration/federation_fixture.h"
#include "tests/integration/federation_migration_helpers.h"

namespace mpli {
namespace {
using namespace std::chrono_literals;
using namespace mpli::fixture;
using Clock = std::chrono::steady_clock;
using nlohmann::json;

constexpr int kClusterBlock = 11;  // the second gateway listens on --port + 10

// The pids under `mpli up` whose program is bin/<program>.
std::vector<pid_t> instances_of(pid_t federation, const std::string& program) {
  std::vector<pid_t> out;
  for (pid_t pid : descendants(federation)) {
    auto args = arguments_of(pid);
    if (!args.empty() && args[0] == testing::bin_dir() + "/" + program) out.push_back(pid);
  }
  return out;
}

// The nats-server of cluster node `node` (1-3).
pid_t nats_node(pid_t federation, int node) {
  const std::string conf = "/nats-cluster/n" + std::to_string(node) + "/nats.conf";
  for (pid_t pid : descendants(federation)) {
    auto args = arguments_of(pid);
    std::string config = argument_after(args, "-c");
    if (config.size() >= conf.size() &&
        config.compare(config.size() - conf.size(), conf.size(), conf) == 0) {
      return pid;
    }
  }
  return 0;
}

// What the client saw of one kind of request.
struct Tally {
  int requests = 0;
  int errors = 0;  // answers that were tried again (5xx, 429, or no answer)
  std::chrono::milliseconds longest_recovery{0};
};

// Sends `attempt` to one gateway after the other until one answers below 500 (and not 429),
// within 60 s; returns that answer (status 0 when none came).
testing::HttpResponse with_retries(
    const std::vector<std::string>& gateways, size_t first, Tally& tally,
    const std::function<testing::HttpResponse(const std::string& base)>& attempt) {
  ++tally.requests;
  auto started = Clock::now();
  testing::HttpResponse answer;
  for (size_t i = first; Clock::now() - started < 60s; ++i) {
    answer = attempt(gateways[i % gateways.size()]);
    if (answer.status != 0 && answer.status < 500 && answer.status != 429) break;
    ++tally.errors;
    std::this_thread::sleep_for(200ms);
  }
  auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
  tally.longest_recovery = std::max(tally.longest_recovery, waited);
  return answer;
}

}  // namespace

TEST_CASE(
    "on a clustered bus, a NATS node and one instance of each doubled service killed under load "
    "lose no order or resolution and do none twice") {
  testing::TempDir dir;
  Federation f = federation_in(dir.path(), {"--cluster"}, kClusterBlock);
  auto federation = process::ChildProcess::spawn(f.spec);
  REQUIRE(federation.is_ok());
  const std::vector<std::string> gateways = {
      "http://127.0.0.1:" + std::to_string(f.http_port),
      "http://127.0.0.1:" + std::to_string(f.http_port + 10)};
  testing::wait_until(
      [&] {
        return testing::http_get(gateways[0] + "/readyz").status == 200 &&
               testing::http_get(gateways[1] + "/readyz").status == 200;
      },
      120s, "both gateways ready");
  for (const char* program : {"mpli-gateway", "mpli-discovery", "mpli-resolver", "mpli-trust"}) {
    INFO(program);
    CHECK(instances_of(federation->pid(), program).size() == 2);
  }
  CHECK(instances_of(federation->pid(), "mpli-delivery").size() == 1);
  for (int node = 1; node <= 3; ++node) CHECK(nats_node(federation->pid(), node) > 0);

  Consumer consumer = consumer_of(f, "acme");
  const std::string offering = consumer.offering_of("ManagedPostgreSQL", "nordwolke");
  const std::string manifest = testing::read_example("consumer-single-database.ttl");
  // The resolver answers 503 until its index has loaded (both instances, behind the gateways).
  testing::wait_until(
      [&] {
        for (const auto& base : gateways) {
          auto made = testing::http_request("POST", base + "/v1/resolutions", manifest,
                                            {consumer.auth, "Content-Type: text/turtle"});
          if (made.status != 201) return false;
        }
        return true;
      },
      90s, "resolutions answered through both gateways");

  // The load: an order and a resolution every 400 ms for 30 s, alternating gateways.
  Tally orders;
  Tally resolutions;
  std::map<std::string, std::set<std::string>> order_ids_by_key;  // more than one: done twice
  std::vector<std::string> resolution_ids;
  std::vector<std::string> refused;  // answers below 500 that are not success: none expected
  std::thread load([&] {
    auto end = Clock::now() + 30s;
    for (int n = 0; Clock::now() < end; ++n) {
      const std::string key = "cluster-order-" + std::to_string(n);
      auto created = with_retries(gateways, static_cast<size_t>(n), orders, [&](const auto& base) {
        return testing::http_request(
            "POST", base + "/v1/orders",
            json{{"offering", offering}, {"parameters", {{"connection_limit", "5"}}}}.dump(),
            {consumer.auth, "Content-Type: application/json", "Idempotency-Key: " + key},
            10s);
      });
      auto order = json::parse(created.body, nullptr, false);
      if ((created.status == 201 || created.status == 200) && order.contains("id")) {
        order_ids_by_key[key].insert(order["id"].get<std::string>());
      } else {
        refused.push_back("order " + key + ": HTTP " + std::to_string(created.status) + " " +
                          created.body);
      }
      auto resolved =
          with_retries(gateways, static_cast<size_t>(n) + 1, resolutions, [&](const auto& base) {
            return testing::http_request("POST", base + "/v1/resolutions", manifest,
                                         {consumer.auth, "Content-Type: text/turtle"}, 10s);
          });
      auto resolution = json::parse(resolved.body, nullptr, false);
      if (resolved.status == 201 && resolution.contains("id")) {
        resolution_ids.push_back(resolution["id"].get<std::string>());
      } else {
        refused.push_back("resolution: HTTP " + std::to_string(resolved.status) + " " +
                          resolved.body);
      }
      std::this_thread::sleep_for(400ms);
    }
  });

  // The faults, while the load runs: NATS node 1 at 6 s, then at 14 s one instance of each
  // doubled service (the first found) and delivery; `mpli up` restarts them.
  std::this_thread::sleep_for(6s);
  pid_t node = nats_node(federation->pid(), 1);
  REQUIRE(node > 0);
  REQUIRE(kill(node, SIGKILL) == 0);
  std::this_thread::sleep_for(8s);
  std::vector<std::string> killed = {"nats-server mpli-n1 (pid " + std::to_string(node) + ")"};
  for (const char* program :
       {"mpli-gateway", "mpli-discovery", "mpli-resolver", "mpli-trust", "mpli-delivery"}) {
    auto pids = instances_of(federation->pid(), program);
    REQUIRE_FALSE(pids.empty());
    REQUIRE(kill(pids.front(), SIGKILL) == 0);
    killed.push_back(std::string(program) + " (pid " + std::to_string(pids.front()) + ")");
  }
  load.join();

  // Every accepted order becomes active, provisioned once.
  Tally reads;
  int lost = 0;
  int duplicated = 0;
  std::vector<std::string> problems;
  for (const auto& [key, ids] : order_ids_by_key) {
    if (ids.size() > 1) {
      duplicated += static_cast<int>(ids.size()) - 1;
      problems.push_back(key + " answered with " + std::to_string(ids.size()) + " orders");
    }
  }
  for (const auto& [key, ids] : order_ids_by_key) {
    const std::string id = *ids.begin();
    json order;
    bool active = false;
    auto deadline = Clock::now() + 120s;
    while (Clock::now() < deadline) {
      auto got = with_retries(gateways, 0, reads,
                              [&](const auto& base) { return testing::http_request(
                                                          "GET", base + "/v1/orders/" + id, "",
                                                          {consumer.auth}, 10s); });
      if (got.status == 200) {
        order = json::parse(got.body);
        if (order["state"] == "active" || order["state"] == "failed" ||
            order["state"] == "rejected") {
          active = order["state"] == "active";
          break;
        }
      }
      std::this_thread::sleep_for(500ms);
    }
    if (!active) {
      ++lost;
      problems.push_back(key + " (" + id + ") is not active: " + order.dump());
      continue;
    }
    int provisioned = 0;
    for (const auto& step : order["history"]) provisioned += step["to"] == "provisioning" ? 1 : 0;
    if (provisioned != 1) {
      ++duplicated;
      problems.push_back(id + " went into provisioning " + std::to_string(provisioned) + " times");
    }
  }
  // The tenant has exactly the orders it was answered with.
  std::set<std::string> listed;
  std::string cursor;
  for (int page = 0; page < 50; ++page) {
    auto got = testing::http_request(
        "GET", gateways[1] + "/v1/orders?limit=500" + (cursor.empty() ? "" : "&cursor=" + cursor),
        "", {consumer.auth}, 10s);
    REQUIRE(got.status == 200);
    auto body = json::parse(got.body);
    for (const auto& order : body["orders"]) listed.insert(order["id"].get<std::string>());
    if (body["next_cursor"].is_null()) break;
    cursor = body["next_cursor"].get<std::string>();
  }
  if (listed.size() > order_ids_by_key.size()) {
    duplicated += static_cast<int>(listed.size() - order_ids_by_key.size());
    problems.push_back(std::to_string(listed.size()) + " orders listed for " +
                       std::to_string(order_ids_by_key.size()) + " accepted");
  }
  for (const auto& id : resolution_ids) {
    auto got = with_retries(gateways, 0, reads, [&](const auto& base) {
      return testing::http_request("GET", base + "/v1/resolutions/" + id, "", {consumer.auth}, 10s);
    });
    if (got.status != 200) {
      ++lost;
      problems.push_back("resolution " + id + " is gone: HTTP " + std::to_string(got.status) + " " +
                         got.body.substr(0, 300));
    }
  }

  std::cout << "cluster faults (";
  for (size_t i = 0; i < killed.size(); ++i) std::cout << (i > 0 ? ", " : "") << killed[i];
  std::cout << " killed): " << orders.requests + resolutions.requests << " requests ("
            << order_ids_by_key.size() << " orders, " << resolution_ids.size()
            << " resolutions), " << orders.errors + resolutions.errors << " errors retried, "
            << lost << " lost, " << duplicated << " duplicated, recovery "
            << std::max(orders.longest_recovery, resolutions.longest_recovery).count() << " ms\n";
  for (const auto& problem : problems) std::cout << "  " << problem << "\n";
  for (const auto& answer : refused) std::cout << "  refused: " << answer << "\n";
  CHECK(refused.empty());
  CHECK(order_ids_by_key.size() >= 20);
  CHECK(lost == 0);
  CHECK(duplicated == 0);
  CHECK(problems.empty());

  // `mpli up` brought the killed services back (the NATS node is not supervised).
  testing::wait_until([&] { return instances_of(federation->pid(), "mpli-delivery").size() == 1; },
                      30s, "delivery back");
  for (const char* program : {"mpli-gateway", "mpli-discovery", "mpli-resolver", "mpli-trust"}) {
    INFO(program);
    testing::wait_until(
        [&] { return instances_of(federation->pid(), program).size() == 2; }, 30s,
        std::string(program) + " back to two instances");
  }
  stop_federation(*federation, 60s);
}

}  // namespace mpli
