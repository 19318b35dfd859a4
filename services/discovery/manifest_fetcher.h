// ManifestFetcher: HTTP(S) GET of a provider manifest with libcurl, within the FetchPolicy:
// conditional requests, size/time/redirect limits, the resolved address checked at connect
// time (so a DNS answer cannot smuggle in a private target), and abandoned when the service
// stops (so a server that accepts and never answers cannot hold up a shutdown).
#pragma once

#include <string>

#include "libs/core/status.h"
#include "libs/service/stop_token.h"
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
  // `stop`: when it fires, a transfer in progress is abandoned within about a second.
  ManifestFetcher(FetchPolicy policy, service::StopToken stop);
  // Errors, each with an ErrorReason: kInvalidArgument (BAD_MANIFEST_URL, SCHEME_REFUSED),
  // kPermissionDenied (ADDRESS_REFUSED), kTooLarge (MANIFEST_TOO_LARGE), kDeadlineExceeded
  // (FETCH_TIMEOUT), kUnavailable (FETCH_FAILED: network or HTTP error; SHUTTING_DOWN: the
  // stop token fired).
  Result<FetchResponse> fetch(const FetchRequest& request) const;

 private:
  FetchPolicy policy_;
  service::StopToken stop_;
};

}  // namespace mpli::discovery
