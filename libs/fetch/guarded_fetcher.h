// GuardedFetcher: HTTP(S) GET from the outside world with libcurl, within a FetchPolicy:
// conditional requests, size/time/redirect limits, the resolved address checked at connect
// time (so a DNS answer cannot smuggle in a private target), and abandoned when the StopToken
// fires (so a server that accepts and never answers cannot hold up a shutdown).
#pragma once

#include <cstddef>
#include <string>

#include "libs/core/status.h"
#include "libs/fetch/fetch_policy.h"
#include "libs/service/stop_token.h"

namespace mpli::fetch {

struct FetchRequest {
  std::string url;
  std::string etag;           // sent as If-None-Match when not empty
  std::string last_modified;  // sent as If-Modified-Since when not empty
  std::string accept;         // sent as Accept when not empty
  size_t max_bytes = 0;       // 0: the policy's; otherwise the smaller of this and the policy's
};

struct FetchResponse {
  bool not_modified = false;  // 304: keep what we have
  std::string body;
  std::string etag;
  std::string last_modified;
  std::string content_type;
  long http_status = 0;
};

class GuardedFetcher {
 public:
  // `stop`: when it fires, a transfer in progress is abandoned within about a second.
  GuardedFetcher(FetchPolicy policy, service::StopToken stop,
                 std::string user_agent = "mpli/0.1 (+https://w3id.org/mpli)");

  // Ok for a 200 (the body) and a 304 (not_modified). Errors are FetchErrors (fetch_error.h),
  // each with details["url"]: kBadUrl, kSchemeRefused (also a redirect to another scheme),
  // kAddressRefused (details "address" and "range", or neither for an unsupported address
  // family), kTooLarge (details "max_bytes"), kTimeout (details "timeout_ms"), kFailed (network
  // error, more than max_redirects redirects, or another HTTP status: details "http_status"),
  // kShuttingDown (with a retry-after of a second).
  Result<FetchResponse> fetch(const FetchRequest& request) const;

  const FetchPolicy& policy() const { return policy_; }

 private:
  FetchPolicy policy_;
  service::StopToken stop_;
  std::string user_agent_;
};

}  // namespace mpli::fetch
