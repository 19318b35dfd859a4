#include "tools/mpli/restart_policy.h"

#include <catch2/catch.hpp>
#include <vector>

using namespace mpli::cli;
using namespace std::chrono_literals;
using Action = RestartDecision::Action;

namespace {
// A fixed origin: the policy only ever compares the times it is given.
const RestartPolicy::TimePoint kT0{std::chrono::hours(1000)};

// Starts the service at `at` and lets it run `ran` before it exits.
RestartDecision run_and_exit(RestartPolicy& policy, RestartPolicy::TimePoint at,
                             std::chrono::milliseconds ran) {
  policy.started(at);
  return policy.exited(at + ran);
}
}  // namespace

TEST_CASE("the first exit is restarted at once, the following ones after a doubling delay") {
  RestartPolicy policy(RestartSettings{});
  auto first = run_and_exit(policy, kT0, 1s);
  CHECK(first.action == Action::kRestartNow);
  CHECK(first.attempt == 1);

  std::vector<std::chrono::milliseconds> delays;
  for (int i = 0; i < 4; ++i) {
    auto next = run_and_exit(policy, kT0 + std::chrono::seconds(10 * (i + 1)), 1s);
    CHECK(next.action == Action::kRestartAfterDelay);
    CHECK(next.attempt == i + 2);
    delays.push_back(next.delay);
  }
  CHECK(delays == std::vector<std::chrono::milliseconds>{500ms, 1000ms, 2000ms, 4000ms});
}

TEST_CASE("a service that exits budget + 1 times without a healthy run is given up") {
  RestartSettings settings;
  settings.budget = 3;
  RestartPolicy policy(settings);
  auto at = kT0;
  for (int i = 1; i <= 3; ++i) {
    auto decision = run_and_exit(policy, at, 2s);
    CHECK(decision.action != Action::kGiveUp);
    at += 1min;
  }
  auto last = run_and_exit(policy, at, 2s);
  CHECK(last.action == Action::kGiveUp);
  CHECK(last.attempt == 3);
}

TEST_CASE("a healthy run gives the budget and the backoff back") {
  RestartSettings settings;
  settings.budget = 2;
  settings.healthy_after = 60s;
  RestartPolicy policy(settings);

  // Many more exits than the budget, each after a healthy run: never given up, never delayed.
  auto at = kT0;
  for (int i = 0; i < 20; ++i) {
    auto decision = run_and_exit(policy, at, 60s);
    CHECK(decision.action == Action::kRestartNow);
    CHECK(decision.attempt == 1);
    at += 61s;
  }

  // A crash loop right after a healthy run still uses up the budget.
  CHECK(run_and_exit(policy, at, 60s).action == Action::kRestartNow);
  CHECK(run_and_exit(policy, at + 61s, 59s).action == Action::kRestartAfterDelay);
  CHECK(run_and_exit(policy, at + 121s, 1s).action == Action::kGiveUp);
}

TEST_CASE("a run just short of the healthy period does not reset the budget") {
  RestartSettings settings;
  settings.budget = 1;
  settings.healthy_after = 60s;
  RestartPolicy policy(settings);
  CHECK(run_and_exit(policy, kT0, 10s).action == Action::kRestartNow);
  CHECK(run_and_exit(policy, kT0 + 1min, 60s - 1ms).action == Action::kGiveUp);
}

TEST_CASE("healthy() turns true once the run has lasted the healthy period") {
  RestartSettings settings;
  settings.healthy_after = 5s;
  RestartPolicy policy(settings);
  CHECK_FALSE(policy.healthy(kT0));  // not started
  policy.started(kT0);
  CHECK_FALSE(policy.healthy(kT0 + 4999ms));
  CHECK(policy.healthy(kT0 + 5s));
  policy.exited(kT0 + 6s);
  CHECK_FALSE(policy.healthy(kT0 + 7s));  // exited, not yet restarted
}

TEST_CASE("the delay stops growing at max_delay, however long the crash loop") {
  RestartSettings settings;
  settings.budget = 1000;
  settings.first_delay = 500ms;
  settings.max_delay = 30s;
  RestartPolicy policy(settings);
  RestartDecision decision;
  for (int i = 0; i < 1000; ++i) decision = run_and_exit(policy, kT0 + std::chrono::hours(i), 1ms);
  CHECK(decision.action == Action::kRestartAfterDelay);
  CHECK(decision.delay == 30s);
  CHECK(run_and_exit(policy, kT0 + std::chrono::hours(2000), 1ms).action == Action::kGiveUp);
}

TEST_CASE("a budget of zero gives up at the first exit") {
  RestartSettings settings;
  settings.budget = 0;
  RestartPolicy policy(settings);
  CHECK(run_and_exit(policy, kT0, 1h).action == Action::kGiveUp);
}

TEST_CASE("an exit noticed without a start (the spawn failed) counts as a crash") {
  RestartSettings settings;
  settings.budget = 1;
  RestartPolicy policy(settings);
  CHECK(policy.exited(kT0).action == Action::kRestartNow);
  CHECK(policy.exited(kT0 + 1h).action == Action::kGiveUp);
}
