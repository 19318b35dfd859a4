#include "services/gateway/ops/rate_limiter.h"

#include <catch2/catch.hpp>
#include <string>

using namespace mpli::gateway;
using namespace std::chrono_literals;
using Clock = RateLimiter::Clock;

TEST_CASE("a bucket allows its burst at once, then refuses with the time to the next token") {
  RateLimiter limiter({2, 3, 100});
  Clock::time_point t0{};
  for (int i = 0; i < 3; ++i) CHECK(limiter.take("a", t0).allowed);
  auto refused = limiter.take("a", t0);
  CHECK_FALSE(refused.allowed);
  CHECK(refused.retry_after_seconds == 1);  // 0.5 s at 2/s, rounded up
  // Other clients have buckets of their own.
  CHECK(limiter.take("b", t0).allowed);
  // Half a second refills one request.
  CHECK(limiter.take("a", t0 + 500ms).allowed);
  CHECK_FALSE(limiter.take("a", t0 + 500ms).allowed);
  // A long pause refills to the burst, never beyond.
  Clock::time_point later = t0 + 1h;
  for (int i = 0; i < 3; ++i) CHECK(limiter.take("a", later).allowed);
  CHECK_FALSE(limiter.take("a", later).allowed);
}

TEST_CASE("Retry-After is the ceiling of the wait in seconds") {
  RateLimiter limiter({0.25, 1, 100});  // one request every 4 s
  Clock::time_point t0{};
  CHECK(limiter.take("a", t0).allowed);
  CHECK(limiter.take("a", t0).retry_after_seconds == 4);
  CHECK(limiter.take("a", t0 + 1500ms).retry_after_seconds == 3);  // 2.5 s left
}

TEST_CASE("a rate or burst of 0 disables limiting") {
  for (RateLimit limit : {RateLimit{0, 100, 10}, RateLimit{50, 0, 10}}) {
    RateLimiter limiter(limit);
    CHECK_FALSE(limiter.enabled());
    for (int i = 0; i < 1000; ++i) REQUIRE(limiter.take("a", Clock::time_point{}).allowed);
    CHECK(limiter.buckets() == 0);
  }
}

TEST_CASE("the number of buckets stays bounded, idle ones going first") {
  RateLimiter limiter({1, 2, 10});
  Clock::time_point t0{};
  // A client at its limit, then many one-off clients.
  CHECK(limiter.take("busy", t0 + 100s).allowed);
  CHECK(limiter.take("busy", t0 + 100s).allowed);
  for (int i = 0; i < 9; ++i) limiter.take("once-" + std::to_string(i), t0);
  CHECK(limiter.buckets() == 10);
  // At the cap: the one-off buckets have refilled by now (idle), the busy one has not.
  CHECK(limiter.take("new", t0 + 100s).allowed);
  CHECK(limiter.buckets() == 2);
  CHECK_FALSE(limiter.take("busy", t0 + 100s).allowed);  // its state was kept

  // When every bucket is in use, the least recently used half goes.
  RateLimiter full({1, 1, 10});
  for (int i = 0; i < 10; ++i)
    full.take("c" + std::to_string(i), t0 + std::chrono::milliseconds(i));
  full.take("c-new", t0 + 10ms);
  CHECK(full.buckets() <= 10);
  CHECK(full.buckets() >= 5);
}

TEST_CASE("a verified bearer token is keyed by a hash, never itself, and others by address") {
  VerifiedTokens verified;
  verified.add("secret-token-value");
  std::string key = rate_limit_key("Bearer secret-token-value", "127.0.0.1", verified);
  CHECK(key.rfind("token:", 0) == 0);
  CHECK(key.find("secret") == std::string::npos);
  CHECK(key.size() == 6 + 32);
  CHECK(rate_limit_key("bearer secret-token-value", "10.0.0.1", verified) == key);
  CHECK(rate_limit_key("Bearer  secret-token-value ", "10.0.0.1", verified) == key);
  CHECK(rate_limit_key("", "127.0.0.1", verified) == "address:127.0.0.1");
  CHECK(rate_limit_key("Basic dXNlcg==", "::1", verified) == "address:::1");
  CHECK(rate_limit_key("Bearer ", "::1", verified) == "address:::1");
}

TEST_CASE(
    "a token that never verified draws from its address's bucket, so made-up tokens do "
    "not escape the limit") {
  VerifiedTokens verified;
  CHECK(rate_limit_key("Bearer made-up-1", "10.0.0.7", verified) == "address:10.0.0.7");
  CHECK(rate_limit_key("Bearer made-up-2", "10.0.0.7", verified) == "address:10.0.0.7");
  verified.add("made-up-2");
  CHECK(rate_limit_key("Bearer made-up-2", "10.0.0.7", verified).rfind("token:", 0) == 0);
  CHECK(rate_limit_key("Bearer made-up-1", "10.0.0.7", verified) == "address:10.0.0.7");

  // Full: forgotten at once, so memory stays bounded; a forgotten token verifies again.
  VerifiedTokens small(2);
  small.add("a");
  small.add("b");
  small.add("c");
  CHECK(small.contains("c"));
  CHECK_FALSE(small.contains("a"));
}
