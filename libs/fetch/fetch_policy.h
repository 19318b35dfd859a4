// The guard rails for fetching from the outside world, as pure decisions: which URLs may be
// fetched and which resolved addresses may be connected to. GuardedFetcher applies them.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

#include "libs/core/status.h"

namespace mpli::fetch {

struct FetchPolicy {
  bool allow_http = false;      // plain http:// (local federation, tests)
  bool allow_loopback = false;  // 127.0.0.0/8, ::1
  bool allow_private = false;   // 10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7, link-local
  size_t max_bytes = size_t{8} * 1024 * 1024;  // decoded body bytes
  std::chrono::milliseconds timeout{10000};
  int max_redirects = 3;
};

// Checks scheme, host and shape of a URL before any network activity. A refusal is a
// FetchError (kBadUrl or kSchemeRefused) whose message is "URL: <problem>", with the problem
// alone in details["problem"] so a caller can name its own field instead.
Status check_url(const std::string& url, const FetchPolicy& policy);

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
// Status ok when the policy lets a fetch connect to it; if not, a FetchError kAddressRefused
// with details["address"] and details["range"] (address_class_name).
Status check_address(const std::string& address, const FetchPolicy& policy);

}  // namespace mpli::fetch
