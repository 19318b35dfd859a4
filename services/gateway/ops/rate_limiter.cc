#include "services/gateway/ops/rate_limiter.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "libs/core/digest.h"

namespace mpli::gateway {

double RateLimiter::refilled(const Bucket& bucket, Clock::time_point now) const {
  double elapsed = std::chrono::duration<double>(now - bucket.updated).count();
  if (elapsed < 0) elapsed = 0;
  return std::min(limit_.burst, bucket.tokens + elapsed * limit_.requests_per_second);
}

RateLimiter::Decision RateLimiter::take(const std::string& key, Clock::time_point now) {
  if (!enabled()) return {};
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = buckets_.find(key);
  if (it == buckets_.end()) {
    if (buckets_.size() >= limit_.max_buckets) evict(now);
    it = buckets_.emplace(key, Bucket{limit_.burst, now}).first;
  }
  Bucket& bucket = it->second;
  bucket.tokens = refilled(bucket, now);
  bucket.updated = now;
  if (bucket.tokens >= 1) {
    bucket.tokens -= 1;
    return {};
  }
  double wait = (1 - bucket.tokens) / limit_.requests_per_second;
  return {false, std::max(1, static_cast<int>(std::ceil(wait)))};
}

void RateLimiter::evict(Clock::time_point now) {
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    it = refilled(it->second, now) >= limit_.burst ? buckets_.erase(it) : std::next(it);
  }
  if (buckets_.size() < limit_.max_buckets) return;
  // Every bucket is in use (many clients at their limit): forget the least recently used half.
  std::vector<Clock::time_point> times;
  times.reserve(buckets_.size());
  for (const auto& [key, bucket] : buckets_) times.push_back(bucket.updated);
  auto middle = times.begin() + static_cast<std::ptrdiff_t>(times.size() / 2);
  std::nth_element(times.begin(), middle, times.end());
  Clock::time_point cutoff = *middle;
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    it = it->second.updated <= cutoff ? buckets_.erase(it) : std::next(it);
  }
}

size_t RateLimiter::buckets() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return buckets_.size();
}

namespace {

std::string token_digest(std::string_view token) { return digest::sha256_hex(token).substr(0, 32); }

}  // namespace

void VerifiedTokens::add(std::string_view token) {
  std::string digest = token_digest(token);
  std::lock_guard<std::mutex> lock(mutex_);
  if (digests_.size() >= max_tokens_) digests_.clear();
  digests_.insert(std::move(digest));
}

bool VerifiedTokens::contains(std::string_view token) const {
  std::string digest = token_digest(token);
  std::lock_guard<std::mutex> lock(mutex_);
  return digests_.count(digest) == 1;
}

std::string rate_limit_key(std::string_view authorization, std::string_view client_address,
                           const VerifiedTokens& verified) {
  constexpr std::string_view kBearer = "bearer ";
  if (authorization.size() > kBearer.size()) {
    std::string scheme(authorization.substr(0, kBearer.size()));
    std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (scheme == kBearer) {
      std::string_view token = authorization.substr(kBearer.size());
      while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
      while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
      if (!token.empty() && verified.contains(token)) return "token:" + token_digest(token);
    }
  }
  return "address:" + std::string(client_address);
}

}  // namespace mpli::gateway
