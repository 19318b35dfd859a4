// ManifestFetcher: HTTP(S) GET of a provider manifest with libcurl, within the FetchPolicy:
// conditional requests, size/time/redirect limits, and the resolved address checked at
// connect time (so a DNS answer cannot smuggle in a private target).
#pragma once

#include <string>

#include "libs/core/status.h"
#include "services/discovery/domain/fetch_policy.h"

namespace mpli::discovery {

struct FetchRequest {
  std::string url;
  std::string etag;           // sent as If-None-Match when not empty
  std::string last_modified;  // sent as If-Modified-Since when not empty
};

struct FetchResponse {
  bool not_modified = false;  // 304: keep what we have
  std::string body;
  std::string etag;
  std::string last_modified;
  std::string content_type;
  long http_status = 0;
};

class ManifestFetcher {
 public:
  explicit ManifestFetcher(FetchPolicy policy);
  // Errors: kInvalidArgument (bad URL), kPermissionDenied (address refused),
  // kTooLarge (too large), kDeadlineExceeded (too slow), kUnavailable (network or
  // HTTP error), each with details {"reason": "url"|"address"|"size"|"timeout"|"fetch"}.
  Result<FetchResponse> fetch(const FetchRequest& request) const;

 private:
  FetchPolicy policy_;
};

}  // namespace mpli::discovery
