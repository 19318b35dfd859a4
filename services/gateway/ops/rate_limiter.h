// Per-client request rate limits: one token bucket per bearer token the gateway has verified
// (keyed on a hash of it, never the token) or, for anonymous requests and tokens not (yet)
// verified, per client address. The clock is passed in, so the arithmetic is tested without
// waiting.
#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

namespace mpli::gateway {

struct RateLimit {
  double requests_per_second = 50;  // refill rate; 0 disables limiting
  double burst = 100;               // bucket size: requests allowed at once after a quiet spell
  // Buckets kept at most; beyond it idle ones (refilled to full, so forgetting them changes
  // nothing) are dropped first, then the least recently used half.
  size_t max_buckets = 100000;
};

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  explicit RateLimiter(RateLimit limit) : limit_(limit) {}

  bool enabled() const { return limit_.requests_per_second > 0 && limit_.burst > 0; }

  struct Decision {
    bool allowed = true;
    int retry_after_seconds = 0;  // when refused: when one request's worth is back (ceiling)
  };
  // Takes one request from `key`'s bucket at `now`.
  Decision take(const std::string& key, Clock::time_point now);

  size_t buckets() const;

 private:
  struct Bucket {
    double tokens = 0;
    Clock::time_point updated;
  };
  double refilled(const Bucket& bucket, Clock::time_point now) const;
  void evict(Clock::time_point now);

  const RateLimit limit_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Bucket> buckets_;
};

// Digests of the bearer tokens that verified (the guard adds them). The rate limit runs before
// a request is routed, so before its token is checked; were any bearer token its own bucket, a
// client could send each request with a new made-up token and never be limited. A token only
// gets its own bucket once it has verified; until then it draws from its address's.
class VerifiedTokens {
 public:
  explicit VerifiedTokens(size_t max_tokens = 100000) : max_tokens_(max_tokens) {}
  void add(std::string_view token);
  bool contains(std::string_view token) const;

 private:
  const size_t max_tokens_;  // when full, forgotten all at once: they verify again
  mutable std::mutex mutex_;
  std::unordered_set<std::string> digests_;
};

// The bucket a request draws from: "token:<sha256 of the bearer token, 32 hex>" when the
// request carries `Authorization: Bearer ...` with a token in `verified`, else
// "address:<client address>".
std::string rate_limit_key(std::string_view authorization, std::string_view client_address,
                           const VerifiedTokens& verified);

}  // namespace mpli::gateway
