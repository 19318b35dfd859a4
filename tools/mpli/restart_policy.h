// When `mpli up` restarts a service that exited, as a pure decision over times passed in: restart
// now, restart after a growing delay, or give up because the service keeps crashing.
#pragma once

#include <chrono>
#include <optional>

namespace mpli::cli {

struct RestartSettings {
  // Restarts allowed in a row without a healthy run in between; one more exit gives up.
  int budget = 5;
  // A run at least this long counts as healthy: the budget and the backoff start afresh.
  std::chrono::milliseconds healthy_after{std::chrono::seconds(60)};
  // The first restart after a healthy run is immediate; the next ones wait first_delay,
  // doubling each time, never longer than max_delay.
  std::chrono::milliseconds first_delay{500};
  std::chrono::milliseconds max_delay{std::chrono::seconds(30)};
};

struct RestartDecision {
  enum class Action { kRestartNow, kRestartAfterDelay, kGiveUp };
  Action action = Action::kGiveUp;
  std::chrono::milliseconds delay{0};  // how long to wait first (kRestartAfterDelay only)
  int attempt = 0;                     // 1 for the first restart since the last healthy run
};

// One per supervised service. Call started() whenever it is (re)started and exited() once
// for every exit noticed; exited() says what to do next.
class RestartPolicy {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  explicit RestartPolicy(RestartSettings settings);

  void started(TimePoint now);
  RestartDecision exited(TimePoint now);

  // True when the current run has lasted long enough to count as healthy.
  bool healthy(TimePoint now) const;
  const RestartSettings& settings() const { return settings_; }

 private:
  RestartSettings settings_;
  std::optional<TimePoint> started_at_;
  int restarts_in_a_row_ = 0;
};

}  // namespace mpli::cli
