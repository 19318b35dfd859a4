// StatusLists: Bitstring Status List lookups for the trust service. A status list credential
// is fetched with the guarded fetcher, verified like any credential (and must come from the
// issuer of the credential it speaks about), decoded, and cached until it expires or for
// `ttl`, whichever is sooner.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <string>

#include "libs/credentials/key_resolver.h"
#include "libs/credentials/status_list.h"
#include "services/trust/rewriting_fetcher.h"
#include "services/trust/trust_service.h"

namespace mpli::trust {

class StatusLists : public StatusSource {
 public:
  StatusLists(const RewritingFetcher& fetcher, const credentials::KeyResolver& keys,
              std::chrono::seconds ttl, int64_t clock_skew_seconds, size_t max_list_bytes)
      : fetcher_(fetcher),
        keys_(keys),
        ttl_(ttl),
        clock_skew_seconds_(clock_skew_seconds),
        max_list_bytes_(max_list_bytes) {}

  Result<bool> is_set(const credentials::StatusReference& reference, const std::string& issuer,
                      int64_t now) override;

 private:
  struct CachedList {
    credentials::StatusList list;
    std::vector<std::string> purposes;
    std::string issuer;
    int64_t expires = 0;  // Unix seconds
  };
  Result<CachedList> load(const std::string& url, int64_t now);

  const RewritingFetcher& fetcher_;
  const credentials::KeyResolver& keys_;
  std::chrono::seconds ttl_;
  int64_t clock_skew_seconds_;
  size_t max_list_bytes_;
  std::mutex mutex_;
  std::map<std::string, CachedList> cache_;
};

}  // namespace mpli::trust
