// RewritingFetcher: how the trust service fetches credentials, did:web documents and status
// lists: the guarded fetcher, after the hub's URL rewrites (fetch.rewrite). A rewrite lets a
// local federation or a test serve what public https URLs name from loopback; the guards (http,
// loopback, private ranges) still apply to the rewritten URL.
#pragma once

#include <utility>

#include "libs/core/status.h"
#include "libs/fetch/guarded_fetcher.h"
#include "services/trust/domain/url_rewrites.h"

namespace mpli::trust {

class RewritingFetcher {
 public:
  RewritingFetcher(const fetch::GuardedFetcher& fetcher, UrlRewrites rewrites)
      : fetcher_(fetcher), rewrites_(std::move(rewrites)) {}

  Result<fetch::FetchResponse> fetch(fetch::FetchRequest request) const {
    request.url = rewrite_url(rewrites_, request.url);
    return fetcher_.fetch(request);
  }

 private:
  const fetch::GuardedFetcher& fetcher_;
  UrlRewrites rewrites_;
};

}  // namespace mpli::trust
