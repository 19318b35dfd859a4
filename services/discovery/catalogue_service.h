// The discovery use cases: register (URL or upload), refresh (one provider, or every one that
// is due), delete, and catalogue reads. Ties the fetcher, the manifest checker and the store.
#pragma once

#include <atomic>
#include <memory>
#include <random>
#include <string>

#include "services/discovery/domain/fetch_policy.h"
#include "services/discovery/domain/manifest_check.h"
#include "services/discovery/manifest_fetcher.h"
#include "services/discovery/store/catalogue_store.h"

namespace mpli::discovery {

struct IngestResult {
  v1::Provider provider;
  bool created = false;
  std::string outcome;  // "updated", "unchanged"
};

class CatalogueService {
 public:
  CatalogueService(CatalogueStore& store, std::shared_ptr<const ManifestChecker> checker,
                   FetchPolicy policy);

  Result<IngestResult> register_url(const std::string& url);
  Result<IngestResult> register_upload(const std::string& turtle);
  Result<IngestResult> refresh(const std::string& provider_id);
  // Claims and refreshes up to `limit` providers whose time has come; returns how many.
  int refresh_due(int limit);

  CatalogueStore& store() { return store_; }

 private:
  // `describe`: fill IngestResult::provider (one more query), for answers to a caller.
  Result<IngestResult> ingest(const std::string& text, const std::string& source_url,
                              const std::string& known_provider_id, const FetchResponse* fetched,
                              bool describe);
  // `unchanged_batch`: when given, an unchanged provider's bookkeeping is added to it for the
  // caller to store with others, instead of being stored at once.
  Result<IngestResult> refresh_known(const ProviderState& provider, bool describe,
                                     std::vector<std::pair<std::string, FetchMeta>>* unchanged_batch = nullptr);
  int64_t next_refresh_ms(int consecutive_failures);

  CatalogueStore& store_;
  std::shared_ptr<const ManifestChecker> checker_;
  FetchPolicy policy_;
  ManifestFetcher fetcher_;
  std::mutex random_mutex_;
  std::mt19937_64 random_{std::random_device{}()};
};

// The Status a rejected manifest becomes: kInvalidArgument with details a client can show
// (problem = syntax | shape_violation | content; line, column; violations as JSON).
Status problem_status(const ManifestProblem& problem);

}  // namespace mpli::discovery
