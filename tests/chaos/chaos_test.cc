// The fault suite (label chaos): one `mpli up` under a steady load of orders and resolutions,
// and scripted faults one after another, each given its window: a service SIGKILLed, a service
// stopped (SIGSTOP) and continued (SIGCONT) seconds later, the hub's PostgreSQL restarted (fast
// shutdown; `mpli up` starts it again), the nats-server restarted (the whole bus, JetStream from
// its store). A client that meets an error tries again with the same Idempotency-Key. Each
// fault ends in one line: requests, errors, lost (must be 0), duplicated (must be 0), recovery.
//
// MPLI_CHAOS_PROFILE=short (the default, in ./test.sh: each fault once, about two minutes) or
// long (by hand: `MPLI_CHAOS_PROFILE=long ctest -L chaos`; every fault three times, SIGKILL of
// every service, longer windows: about ten minutes). Bounded either way.
#include <signal.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <functional>
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

struct Fault {
  std::string name;
  // Does the harm; returns what it aimed at ("pid 1234"), or "" when it found nothing to hit.
  std::function<std::string(pid_t federation)> inject;
};

std::string signal_first(pid_t federation, const std::string& program, int signal_number) {
  auto pids = instances_of(federation, program);
  if (pids.empty() || kill(pids.front(), signal_number) != 0) return "";
  return "pid " + std::to_string(pids.front());
}

// SIGSTOP now, SIGCONT `pause` later (on a thread of its own, so the window keeps running).
std::string stop_then_continue(pid_t federation, const std::string& program,
                               std::chrono::seconds pause) {
  auto pids = instances_of(federation, program);
  if (pids.empty() || kill(pids.front(), SIGSTOP) != 0) return "";
  pid_t pid = pids.front();
  std::thread([pid, pause] {
    std::this_thread::sleep_for(pause);
    kill(pid, SIGCONT);
  }).detach();
  return "pid " + std::to_string(pid) + ", continued after " + std::to_string(pause.count()) + " s";
}

std::string signal_process_with(pid_t federation, const std::string& flag,
                                const std::string& suffix, int signal_number) {
  pid_t pid = process_with(federation, flag, suffix);
  if (pid <= 0 || kill(pid, signal_number) != 0) return "";
  return "pid " + std::to_string(pid);
}

std::vector<Fault> faults_for(bool long_profile) {
  std::vector<Fault> once = {
      {"SIGKILL delivery", [](pid_t f) { return signal_first(f, "mpli-delivery", SIGKILL); }},
      {"SIGKILL resolver", [](pid_t f) { return signal_first(f, "mpli-resolver", SIGKILL); }},
      {"SIGSTOP delivery for 3 s",
       [](pid_t f) { return stop_then_continue(f, "mpli-delivery", 3s); }},
      {"SIGSTOP resolver for 3 s",
       [](pid_t f) { return stop_then_continue(f, "mpli-resolver", 3s); }},
      {"PostgreSQL restart (fast shutdown, started again by mpli up)",
       [](pid_t f) { return signal_process_with(f, "-D", "/state/postgres/data", SIGINT); }},
      {"nats-server restart (SIGTERM, started again by mpli up)",
       [](pid_t f) { return signal_process_with(f, "-c", "/state/nats/nats.conf", SIGTERM); }},
      {"SIGKILL gateway", [](pid_t f) { return signal_first(f, "mpli-gateway", SIGKILL); }},
  };
  if (!long_profile) return once;
  std::vector<Fault> all;
  for (const char* program : {"mpli-discovery", "mpli-trust", "mpli-portability"}) {
    all.push_back({std::string("SIGKILL ") + (program + 5),
                   [program](pid_t f) { return signal_first(f, program, SIGKILL); }});
  }
  for (int round = 0; round < 3; ++round) all.insert(all.end(), once.begin(), once.end());
  return all;
}

}  // namespace

TEST_CASE("the hub under scripted faults loses no accepted request and does none twice") {
  const char* profile = std::getenv("MPLI_CHAOS_PROFILE");
  const bool long_profile = profile != nullptr && std::string(profile) == "long";
  const std::vector<Fault> faults = faults_for(long_profile);
  const auto window = long_profile ? 15s : 8s;

  testing::TempDir dir;
  Federation f = federation_in(dir.path());
  auto federation = process::ChildProcess::spawn(f.spec);
  REQUIRE(federation.is_ok());
  const std::vector<std::string> gateways = {"http://127.0.0.1:" + std::to_string(f.http_port)};
  testing::wait_until([&] { return federation_ready(f.http_port); }, 120s, "federation ready");

  Consumer consumer = consumer_of(f, "acme");
  const std::string offering = consumer.offering_of("ManagedPostgreSQL", "nordwolke");
  const std::string manifest = testing::read_example("consumer-single-database.ttl");
  testing::wait_until(
      [&] {
        return testing::http_request("POST", gateways[0] + "/v1/resolutions", manifest,
                                     {consumer.auth, "Content-Type: text/turtle"})
                   .status == 201;
      },
      90s, "resolutions answered");

  // Window 0: no fault; window i: faults[i - 1] from its injection to the next one's.
  SteadyLoad load(gateways, consumer.auth, offering, manifest, faults.size() + 1, 300ms);
  // The limit leaves room for the waits for recovery below.
  load.start(window * (faults.size() + 2) + 90s * faults.size());
  std::this_thread::sleep_for(window / 2);
  std::vector<std::string> labels = {"no fault"};
  for (size_t i = 0; i < faults.size(); ++i) {
    load.set_window(i + 1);
    std::string aimed_at = faults[i].inject(federation->pid());
    INFO(faults[i].name);
    REQUIRE_FALSE(aimed_at.empty());
    labels.push_back(faults[i].name + " (" + aimed_at + ")");
    std::this_thread::sleep_for(window);
    // The next fault only once the hub answers again: its recovery is part of this window.
    REQUIRE(load.wait_for_round_in_current_window(90s));
  }
  load.stop();

  LoadVerdict verdict = verify_load(load, 120s);
  for (size_t w = 0; w < labels.size(); ++w) {
    std::cout << load_line("chaos, " + labels[w], load.tallies()[w], verdict.lost[w],
                           verdict.duplicated[w])
              << "\n";
  }
  for (const auto& problem : verdict.problems) std::cout << "  " << problem << "\n";
  for (const auto& answer : load.refused()) std::cout << "  refused: " << answer << "\n";
  CHECK(load.refused().empty());
  for (size_t w = 0; w < labels.size(); ++w) {
    INFO(labels[w]);
    CHECK(load.tallies()[w].requests > 0);  // the load ran through every fault
  }
  CHECK(verdict.total(verdict.lost) == 0);
  CHECK(verdict.total(verdict.duplicated) == 0);
  CHECK(verdict.problems.empty());

  // Everything is back: every service answers through the gateway.
  testing::wait_until([&] { return federation_ready(f.http_port); }, 60s,
                      "federation ready after the faults");
  stop_federation(*federation, 60s);
}

}  // namespace mpli
