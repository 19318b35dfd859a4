// `mpli up --cluster` under faults: a three-node NATS JetStream cluster, two instances of the
// gateway, discovery, resolver and trust. While a consumer orders managed databases and asks
// for resolutions at a steady pace, one NATS node is killed (SIGKILL), then one instance of each
// doubled service and delivery's only one; `mpli up` restarts each of them. A client that meets an
// error tries again, on the other gateway, with the same Idempotency-Key. In the end every accepted
// order is active and was provisioned once, every accepted resolution is there, and the run
// ends with one line per fault: requests, errors, lost, duplicated, recovery time.
#include <signal.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "libs/process/child_process.h"
#include "libs/testing/environment.h"
#include "tests/integration/federation_fixture.h"
#include "tests/integration/federation_load.h"
#include "tests/integration/federation_migration_helpers.h"

namespace mpli {
namespace {
using namespace std::chrono_literals;
using namespace mpli::fixture;
using Clock = std::chrono::steady_clock;
using nlohmann::json;

constexpr int kClusterBlock = 11;  // the second gateway listens on --port + 10

// The nats-server of cluster node `node` (1-3).
pid_t nats_node(pid_t federation, int node) {
  return process_with(federation, "-c", "/nats-cluster/n" + std::to_string(node) + "/nats.conf");
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
  wait_for_federation(
      f, *federation,
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

  // The load: an order and a resolution every 400 ms, alternating gateways; window 0 before
  // the faults, 1 after the NATS node, 2 after the services.
  SteadyLoad load(gateways, consumer.auth, offering, manifest, 3, 400ms);
  // The limit leaves room for the waits for recovery below.
  load.start(30s + 2 * 90s);

  // The faults, while the load runs: NATS node 1 at 6 s, then 8 s later (or once the hub
  // answers again, if later) one instance of each doubled service (the first found) and
  // delivery; `mpli up` restarts them. Each window lasts until a round begun in it is answered:
  // on a loaded machine the recovery from the node's death (the streams it led elect new
  // leaders) took 8.7 s once, and the load's one client, still retrying a round of window 0,
  // sent nothing in window 1.
  std::this_thread::sleep_for(6s);
  pid_t node = nats_node(federation->pid(), 1);
  REQUIRE(node > 0);
  load.set_window(1);
  REQUIRE(kill(node, SIGKILL) == 0);
  std::this_thread::sleep_for(8s);
  REQUIRE(load.wait_for_round_in_current_window(90s));
  std::vector<std::string> killed;
  load.set_window(2);
  for (const char* program :
       {"mpli-gateway", "mpli-discovery", "mpli-resolver", "mpli-trust", "mpli-delivery"}) {
    auto pids = instances_of(federation->pid(), program);
    REQUIRE_FALSE(pids.empty());
    REQUIRE(kill(pids.front(), SIGKILL) == 0);
    killed.push_back(std::string(program) + " (pid " + std::to_string(pids.front()) + ")");
  }
  std::this_thread::sleep_for(16s);
  REQUIRE(load.wait_for_round_in_current_window(90s));
  load.stop();

  // Every accepted order becomes active, provisioned once; every resolution stays.
  LoadVerdict verdict = verify_load(load, 120s);
  const std::vector<std::string> labels = {
      "cluster, no fault",
      "cluster, nats-server mpli-n1 (pid " + std::to_string(node) + ") SIGKILLed",
      "cluster, one instance of each service SIGKILLed (" +
          [&] {
            std::string list;
            for (const auto& one : killed) list += (list.empty() ? "" : ", ") + one;
            return list;
          }() +
          ")"};
  for (size_t w = 0; w < labels.size(); ++w) {
    std::cout << load_line(labels[w], load.tallies()[w], verdict.lost[w], verdict.duplicated[w])
              << "\n";
  }
  for (const auto& problem : verdict.problems) std::cout << "  " << problem << "\n";
  for (const auto& answer : load.refused()) std::cout << "  refused: " << answer << "\n";
  CHECK(load.refused().empty());
  CHECK(load.orders().size() >= 20);
  CHECK(load.tallies()[1].requests > 0);
  CHECK(load.tallies()[2].requests > 0);
  CHECK(verdict.total(verdict.lost) == 0);
  CHECK(verdict.total(verdict.duplicated) == 0);
  CHECK(verdict.problems.empty());

  // `mpli up` brought the killed node and services back.
  testing::wait_until(
      [&] {
        pid_t again = nats_node(federation->pid(), 1);
        return again > 0 && again != node;
      },
      30s, "nats-server mpli-n1 restarted");
  testing::wait_until([&] { return instances_of(federation->pid(), "mpli-delivery").size() == 1; },
                      30s, "delivery back");
  for (const char* program : {"mpli-gateway", "mpli-discovery", "mpli-resolver", "mpli-trust"}) {
    INFO(program);
    testing::wait_until([&] { return instances_of(federation->pid(), program).size() == 2; }, 30s,
                        std::string(program) + " back to two instances");
  }
  stop_federation(*federation, 60s);
}

}  // namespace mpli
