// ManifestFetcher: GET of a provider manifest through libs/fetch's GuardedFetcher (conditional,
// size/time/redirect limits, address checked at connect time, abandoned on stop), asking for
// Turtle and answering in discovery's ErrorReasons.
#pragma once

#include <string>

#include "libs/core/status.h"
#include "libs/fetch/guarded_fetcher.h"
#include "libs/service/stop_token.h"
#include "services/discovery/domain/fetch_policy.h"

namespace mpli::discovery {

struct FetchRequest {
  std::string url;
  std::string etag;           // sent as If-None-Match when not empty
  std::string last_modified;  // sent as If-Modified-Since when not empty
};

using FetchResponse = fetch::FetchResponse;

class ManifestFetcher {
 public:
  // `stop`: when it fires, a transfer in progress is abandoned within about a second.
  ManifestFetcher(const FetchPolicy& policy, service::StopToken stop);
  // Errors, each with an ErrorReason: kInvalidArgument (BAD_MANIFEST_URL, SCHEME_REFUSED),
  // kPermissionDenied (ADDRESS_REFUSED), kTooLarge (MANIFEST_TOO_LARGE), kDeadlineExceeded
  // (FETCH_TIMEOUT), kUnavailable (FETCH_FAILED: network or HTTP error; SHUTTING_DOWN: the
  // stop token fired).
  Result<FetchResponse> fetch(const FetchRequest& request) const;

 private:
  fetch::GuardedFetcher fetcher_;
};

}  // namespace mpli::discovery
