// Wall-clock helpers: RFC 3339 timestamps for logs and events, and monotonic deadlines.
#pragma once

#include <chrono>
#include <string>

namespace mpli::clock {

std::string now_rfc3339();  // "2026-11-23T19:24:17.123Z"
std::string to_rfc3339(std::chrono::system_clock::time_point when);

// A point on the monotonic clock by which something must be done.
class Deadline {
 public:
  explicit Deadline(std::chrono::milliseconds budget)
      : at_(std::chrono::steady_clock::now() + budget) {}
  bool expired() const { return std::chrono::steady_clock::now() >= at_; }
  std::chrono::milliseconds remaining() const {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        at_ - std::chrono::steady_clock::now());
    return left.count() > 0 ? left : std::chrono::milliseconds(0);
  }

 private:
  std::chrono::steady_clock::time_point at_;
};

}  // namespace mpli::clock
