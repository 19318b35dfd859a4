// Work retries: bounded attempts, exponential backoff with jitter (the jitter is passed in, so
// the policy stays a pure function), a deadline per attempt that progress extends.
#pragma once

#include <chrono>

namespace mpli::delivery {

struct RetryPolicy {
  int max_attempts = 5;                                          // work.max_attempts
  std::chrono::milliseconds deadline{std::chrono::minutes(10)};  // work.deadline, per attempt
  std::chrono::milliseconds progress_extension{std::chrono::minutes(2)};
  std::chrono::milliseconds backoff_base{std::chrono::seconds(1)};
  std::chrono::milliseconds backoff_max{std::chrono::minutes(1)};
};

// The pause before attempt `failed_attempt + 1`: base * 2^(failed_attempt - 1), capped at
// backoff_max, of which the upper half is scaled by `jitter` in [0, 1) ("equal jitter": never
// less than half the step, so retries of many items spread without bunching at zero).
std::chrono::milliseconds backoff(const RetryPolicy& policy, int failed_attempt, double jitter);

}  // namespace mpli::delivery
