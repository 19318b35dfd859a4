// The crawler's guard rails, as pure decisions: which manifest URLs and which resolved
// addresses may be fetched, and when a provider is due again (schedule, jitter, backoff).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "libs/core/status.h"

namespace mpli::discovery {

struct FetchPolicy {
  bool allow_http = false;             // plain http:// manifests (local federation, tests)
  bool allow_loopback = false;         // 127.0.0.0/8, ::1
  bool allow_private = false;          // 10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7
  size_t max_bytes = 8 * 1024 * 1024;  // manifest.max_bytes: the same limit as for uploads
  std::chrono::milliseconds timeout{10000};
  int max_redirects = 3;
  std::chrono::milliseconds refresh_interval{std::chrono::hours(1)};
  std::chrono::milliseconds max_backoff{std::chrono::hours(24)};
  double jitter = 0.1;  // +/- this fraction of the interval
};

// Checks scheme, host and shape of a manifest URL before any network activity.
Status check_manifest_url(const std::string& url, const FetchPolicy& policy);

enum class AddressClass {
  kPublic,
  kLoopback,
  kPrivate,
  kLinkLocal,
  kUnspecified,
  kMulticast,
  kReserved
};
const char* address_class_name(AddressClass c);

// `address` is the textual IPv4 or IPv6 address a connection would be made to.
AddressClass classify_address(const std::string& address);
// Status ok when the policy lets the crawler connect to it; a message naming the range if not.
Status check_address(const std::string& address, const FetchPolicy& policy);

// When to fetch again: `interval` after a success, doubled per consecutive failure up to
// max_backoff; `unit_random` in [0,1) spreads providers so they are not all due at once.
std::chrono::milliseconds next_refresh_delay(const FetchPolicy& policy, int consecutive_failures,
                                             double unit_random);

}  // namespace mpli::discovery
