#include "services/delivery/domain/retry.h"

#include <catch2/catch.hpp>

using namespace mpli::delivery;
using std::chrono::milliseconds;

TEST_CASE("backoff doubles per attempt, spreads with the jitter and stops at its cap") {
  RetryPolicy policy;
  policy.backoff_base = milliseconds(1000);
  policy.backoff_max = milliseconds(60000);
  CHECK(backoff(policy, 1, 0.0) == milliseconds(500));
  CHECK(backoff(policy, 1, 0.999) == milliseconds(999));
  CHECK(backoff(policy, 2, 0.0) == milliseconds(1000));
  CHECK(backoff(policy, 3, 1.0) == milliseconds(4000));
  CHECK(backoff(policy, 10, 1.0) == milliseconds(60000));
  CHECK(backoff(policy, 1000, 0.5) == milliseconds(45000));
  CHECK(backoff(policy, 0, 0.0) == milliseconds(500));
}
