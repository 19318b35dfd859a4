// Discovery's side of fetching manifests: the guards it fetches within (libs/fetch), when a
// provider is due again (schedule, jitter, backoff), and how a FetchError becomes one of
// discovery's ErrorReasons.
#pragma once

#include <chrono>
#include <string>

#include "libs/core/status.h"
#include "libs/fetch/fetch_policy.h"

namespace mpli::discovery {

struct FetchPolicy {
  fetch::FetchPolicy guards;  // guards.max_bytes is manifest.max_bytes: the limit for uploads too
  std::chrono::milliseconds refresh_interval{std::chrono::hours(1)};
  std::chrono::milliseconds max_backoff{std::chrono::hours(24)};
  double jitter = 0.1;  // +/- this fraction of the interval
};

// Checks scheme, host and shape of a manifest URL before any network activity; a refusal
// carries BAD_MANIFEST_URL or SCHEME_REFUSED and the field "manifest_url".
Status check_manifest_url(const std::string& url, const FetchPolicy& policy);

// A failed fetch of the manifest at `url` (a FetchError from libs/fetch) as discovery says it:
// BAD_MANIFEST_URL, SCHEME_REFUSED, ADDRESS_REFUSED, MANIFEST_TOO_LARGE, FETCH_TIMEOUT,
// FETCH_FAILED or SHUTTING_DOWN, with the same StatusCode. A Status that is no FetchError is
// returned as it is.
Status manifest_fetch_error(const Status& failed, const std::string& url);

// When to fetch again: `interval` after a success, doubled per consecutive failure up to
// max_backoff; `unit_random` in [0,1) spreads providers so they are not all due at once.
std::chrono::milliseconds next_refresh_delay(const FetchPolicy& policy, int consecutive_failures,
                                             double unit_random);

}  // namespace mpli::discovery
