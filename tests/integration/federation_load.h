// What the fault tests on `mpli up` share (federation_cluster_test, tests/chaos): finding the
// processes a fault is aimed at, and a client that tries again, on the next gateway, when an
// answer says the hub could not take the request (5xx, 429, no answer).
#pragma once

#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "libs/testing/environment.h"
#include "tests/integration/federation_fixture.h"

namespace mpli::fixture {

// The pids under `mpli up` whose program is bin/<program>.
inline std::vector<pid_t> instances_of(pid_t federation, const std::string& program) {
  std::vector<pid_t> out;
  for (pid_t pid : descendants(federation)) {
    auto args = arguments_of(pid);
    if (!args.empty() && args[0] == testing::bin_dir() + "/" + program) out.push_back(pid);
  }
  return out;
}

// The process under `mpli up` started with `flag` followed by a path ending in `suffix`
// ("-c" ".../nats.conf", "-D" ".../postgres/data"); 0 when none.
inline pid_t process_with(pid_t federation, const std::string& flag, const std::string& suffix) {
  for (pid_t pid : descendants(federation)) {
    std::string value = argument_after(arguments_of(pid), flag);
    if (value.size() >= suffix.size() &&
        value.compare(value.size() - suffix.size(), suffix.size(), suffix) == 0) {
      return pid;
    }
  }
  return 0;
}

// What the client saw of its requests.
struct Tally {
  int requests = 0;
  int errors = 0;  // answers that were tried again (5xx, 429, or no answer)
  std::chrono::milliseconds longest_recovery{0};  // first attempt to the answer taken
};

// Sends `attempt` to one gateway after the other until one answers below 500 (and not 429),
// within 60 s; returns that answer (status 0 when none came).
inline testing::HttpResponse with_retries(
    const std::vector<std::string>& gateways, size_t first, Tally& tally,
    const std::function<testing::HttpResponse(const std::string& base)>& attempt) {
  ++tally.requests;
  auto started = std::chrono::steady_clock::now();
  testing::HttpResponse answer;
  for (size_t i = first; std::chrono::steady_clock::now() - started < std::chrono::seconds(60);
       ++i) {
    answer = attempt(gateways[i % gateways.size()]);
    if (answer.status != 0 && answer.status < 500 && answer.status != 429) break;
    ++tally.errors;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  tally.longest_recovery = std::max(tally.longest_recovery, waited);
  return answer;
}

// A consumer ordering a managed database and asking for a resolution, one of each per round, at
// a steady pace on its own thread, each request tried again until the hub takes it. Requests
// are counted per window (the fault running while they were sent).
class SteadyLoad {
 public:
  struct Order {
    std::string key;  // its Idempotency-Key
    size_t window = 0;
    std::set<std::string> ids;  // what the answers named: more than one is an order made twice
  };
  struct Resolution {
    std::string id;
    size_t window = 0;
  };

  SteadyLoad(std::vector<std::string> gateways, std::string auth, std::string offering,
             std::string manifest, size_t windows, std::chrono::milliseconds pause)
      : gateways_(std::move(gateways)),
        auth_(std::move(auth)),
        offering_(std::move(offering)),
        manifest_(std::move(manifest)),
        pause_(pause),
        tallies_(windows) {}
  ~SteadyLoad() { stop(); }
  SteadyLoad(const SteadyLoad&) = delete;
  SteadyLoad& operator=(const SteadyLoad&) = delete;

  // Runs until stop() or `limit`, whichever comes first.
  void start(std::chrono::seconds limit) {
    thread_ = std::thread([this, limit] { run(limit); });
  }
  void stop() {
    running_ = false;
    if (thread_.joinable()) thread_.join();
  }
  // Requests from now on count for window `w` (< windows).
  void set_window(size_t w) { window_ = w; }
  // Waits (up to `limit`) until a round of requests begun in the current window has been
  // answered: the hub is taking requests again. A fault script waits for this before the next
  // fault, so that a slow recovery from one fault does not swallow the next fault's window
  // (the load's single client would still be retrying a request of the earlier window).
  // False when the limit passed first.
  bool wait_for_round_in_current_window(std::chrono::seconds limit) const {
    auto end = std::chrono::steady_clock::now() + limit;
    while (last_answered_window_ != window_) {
      if (!running_ || std::chrono::steady_clock::now() >= end) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return true;
  }

  // After stop():
  const std::vector<Order>& orders() const { return orders_; }
  const std::vector<Resolution>& resolutions() const { return resolutions_; }
  const std::vector<Tally>& tallies() const { return tallies_; }
  const std::vector<std::string>& refused() const { return refused_; }
  const std::vector<std::string>& gateways() const { return gateways_; }
  const std::string& auth() const { return auth_; }

 private:
  void run(std::chrono::seconds limit) {
    auto end = std::chrono::steady_clock::now() + limit;
    for (size_t n = 0; running_ && std::chrono::steady_clock::now() < end; ++n) {
      const size_t window = window_;
      Tally& tally = tallies_[window];
      Order order{"load-order-" + std::to_string(n), window, {}};
      auto created = with_retries(gateways_, n, tally, [&](const std::string& base) {
        return testing::http_request(
            "POST", base + "/v1/orders",
            nlohmann::json{{"offering", offering_}, {"parameters", {{"connection_limit", "5"}}}}
                .dump(),
            {auth_, "Content-Type: application/json", "Idempotency-Key: " + order.key},
            std::chrono::seconds(10));
      });
      auto made = nlohmann::json::parse(created.body, nullptr, false);
      if ((created.status == 201 || created.status == 200) && made.contains("id")) {
        order.ids.insert(made["id"].get<std::string>());
        orders_.push_back(order);
      } else {
        refused_.push_back("order " + order.key + ": HTTP " + std::to_string(created.status) + " " +
                           created.body.substr(0, 300));
      }
      auto resolved = with_retries(gateways_, n + 1, tally, [&](const std::string& base) {
        return testing::http_request("POST", base + "/v1/resolutions", manifest_,
                                     {auth_, "Content-Type: text/turtle"},
                                     std::chrono::seconds(10));
      });
      auto resolution = nlohmann::json::parse(resolved.body, nullptr, false);
      if (resolved.status == 201 && resolution.contains("id")) {
        resolutions_.push_back({resolution["id"].get<std::string>(), window});
      } else {
        refused_.push_back("resolution: HTTP " + std::to_string(resolved.status) + " " +
                           resolved.body.substr(0, 300));
      }
      last_answered_window_ = window;
      std::this_thread::sleep_for(pause_);
    }
  }

  std::vector<std::string> gateways_;
  std::string auth_;
  std::string offering_;
  std::string manifest_;
  std::chrono::milliseconds pause_;
  std::atomic<bool> running_{true};
  std::atomic<size_t> window_{0};
  std::atomic<size_t> last_answered_window_{SIZE_MAX};  // of the last round answered
  std::vector<Tally> tallies_;
  std::vector<Order> orders_;
  std::vector<Resolution> resolutions_;
  std::vector<std::string> refused_;
  std::thread thread_;
};

// What became of what the hub accepted: lost (an order not active within `within`, a
// resolution gone) and duplicated (an order answered under two ids, provisioned twice, or more
// orders listed for the tenant than accepted), each with its window; and why.
struct LoadVerdict {
  std::vector<int> lost;        // per window
  std::vector<int> duplicated;  // per window
  std::vector<std::string> problems;
  int total(const std::vector<int>& counts) const {
    int sum = 0;
    for (int n : counts) sum += n;
    return sum;
  }
};

// One line per fault: "<label>: 40 requests, 3 errors retried, 0 lost, 0 duplicated, recovery
// 412 ms" (recovery: the longest a request waited from its first attempt to its answer).
inline std::string load_line(const std::string& label, const Tally& tally, int lost,
                             int duplicated) {
  return label + ": " + std::to_string(tally.requests) + " requests, " +
         std::to_string(tally.errors) + " errors retried, " + std::to_string(lost) + " lost, " +
         std::to_string(duplicated) + " duplicated, recovery " +
         std::to_string(tally.longest_recovery.count()) + " ms";
}

inline LoadVerdict verify_load(const SteadyLoad& load, std::chrono::seconds within) {
  LoadVerdict verdict;
  verdict.lost.assign(load.tallies().size(), 0);
  verdict.duplicated.assign(load.tallies().size(), 0);
  const auto& gateways = load.gateways();
  Tally reads;  // the checks' own requests, tried again like the load's
  auto get = [&](const std::string& path) {
    return with_retries(gateways, 0, reads, [&](const std::string& base) {
      return testing::http_request("GET", base + path, "", {load.auth()}, std::chrono::seconds(10));
    });
  };
  auto deadline = std::chrono::steady_clock::now() + within;
  for (const auto& order : load.orders()) {
    if (order.ids.size() > 1) {
      verdict.duplicated[order.window] += static_cast<int>(order.ids.size()) - 1;
      verdict.problems.push_back(order.key + " answered with " + std::to_string(order.ids.size()) +
                                 " orders");
    }
    const std::string id = *order.ids.begin();
    nlohmann::json shown;
    std::string state;
    do {
      auto got = get("/v1/orders/" + id);
      if (got.status == 200) {
        shown = nlohmann::json::parse(got.body);
        state = shown["state"].get<std::string>();
        if (state == "active" || state == "failed" || state == "rejected") break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    } while (std::chrono::steady_clock::now() < deadline);
    if (state != "active") {
      ++verdict.lost[order.window];
      verdict.problems.push_back(order.key + " (" + id +
                                 ") is not active: " + shown.dump().substr(0, 400));
      continue;
    }
    int provisioned = 0;
    for (const auto& step : shown["history"]) provisioned += step["to"] == "provisioning" ? 1 : 0;
    if (provisioned != 1) {
      ++verdict.duplicated[order.window];
      verdict.problems.push_back(id + " went into provisioning " + std::to_string(provisioned) +
                                 " times");
    }
  }
  // The tenant has exactly the orders it was answered with.
  std::set<std::string> listed;
  std::string cursor;
  for (int page = 0; page < 50; ++page) {
    auto got = get("/v1/orders?limit=500" + (cursor.empty() ? "" : "&cursor=" + cursor));
    if (got.status != 200) {
      verdict.problems.push_back("GET /v1/orders: HTTP " + std::to_string(got.status));
      break;
    }
    auto body = nlohmann::json::parse(got.body);
    for (const auto& order : body["orders"]) listed.insert(order["id"].get<std::string>());
    if (body["next_cursor"].is_null()) break;
    cursor = body["next_cursor"].get<std::string>();
  }
  if (listed.size() > load.orders().size()) {
    verdict.duplicated.back() += static_cast<int>(listed.size() - load.orders().size());
    verdict.problems.push_back(std::to_string(listed.size()) + " orders listed for " +
                               std::to_string(load.orders().size()) + " accepted");
  }
  for (const auto& resolution : load.resolutions()) {
    auto got = get("/v1/resolutions/" + resolution.id);
    if (got.status != 200) {
      ++verdict.lost[resolution.window];
      verdict.problems.push_back("resolution " + resolution.id + " is gone: HTTP " +
                                 std::to_string(got.status) + " " + got.body.substr(0, 300));
    }
  }
  return verdict;
}

}  // namespace mpli::fixture
