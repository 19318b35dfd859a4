// The resolver's use cases over its in-memory index: load the whole federation at start, keep
// one provider or one subject's facts current on each event, resolve consumer manifests, and
// keep, return and re-check resolutions. One mutex guards the index and its term table, so a
// resolution sees one consistent catalogue; scale out with more instances (queue group).
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "services/resolver/domain/catalogue_index.h"
#include "services/resolver/domain/consumer_manifest.h"
#include "services/resolver/domain/manifest_cache.h"
#include "services/resolver/domain/resolution.h"
#include "services/resolver/domain/tenancy.h"
#include "services/resolver/federation.h"
#include "services/resolver/store/resolution_store.h"

namespace mpli::resolver {

struct ResolverOptions {
  size_t default_top_k = 10;
  size_t default_explain_limit = 20;
  uint64_t max_search_nodes = 5'000'000;
  size_t match_threads = 2;  // ResolveOptions::match_threads
  // Unused terms beyond the used ones before a rebuild pays (worth_compacting).
  size_t compaction_slack = 1'000'000;
};

class ResolverService {
 public:
  ResolverService(Federation& federation, ResolutionStore& store,
                  std::shared_ptr<const ConsumerManifestReader> reader, ResolverOptions options);

  // Reads every provider manifest and every verified fact into a fresh index, then swaps it in;
  // what changed meanwhile is read again afterwards. Also how the index is compacted.
  Status load_all();
  bool ready() const { return ready_; }
  // The shared term table only grows (each consumer manifest and each provider version adds
  // terms): when the terms nothing uses any more outnumber the others (plus
  // compaction_slack), the index is rebuilt from the exports, which drops them. New providers
  // arriving by events are not a reason: their terms are used.
  bool needs_compaction() const;
  // When the index last changed or a resolution was made (what allocates): the wiring gives
  // the heap's free pages back once this is a while ago (libs/process/heap_trim.h).
  std::chrono::steady_clock::time_point last_activity() const {
    return std::chrono::steady_clock::time_point(
        std::chrono::steady_clock::duration(last_activity_.load()));
  }

  // Re-reads one provider from discovery (removes it when discovery no longer knows it).
  Status sync_provider(const std::string& provider_id);
  // Re-reads the facts about one subject from trust.
  Status sync_facts(const std::string& subject);

  // The resolution is stored for request.tenant() (Resolution.tenant).
  Result<v1::Resolution> resolve(const v1::ResolveRequest& request);
  // `tenant`: the caller's; another tenant's resolution is RESOLUTION_NOT_FOUND, as a missing
  // one (domain/tenancy.h). "" = no restriction.
  Result<v1::Resolution> get(const std::string& id, const std::string& tenant);
  Result<v1::RecheckAnswerReply> recheck(const std::string& id, int rank,
                                         const std::string& tenant);
  // Does `offering` serve `requirement` of resolution `id`, with the consumer's facts of now?
  // RESOLUTION_NOT_FOUND (also for another tenant's), then REQUIREMENT_NOT_FOUND, then
  // OFFERING_NOT_FOUND (not in the index now).
  Result<v1::CheckOfferingReply> check_offering(const std::string& id,
                                                const std::string& requirement,
                                                const std::string& offering,
                                                const std::string& tenant);

  size_t offering_count() const;

 private:
  Status build_and_swap();
  // A consumer manifest read into the index's term table, or the one read from the same text
  // lately (mutex_ held).
  Result<std::shared_ptr<const ConsumerManifest>> read_manifest(const std::string& text);
  Result<std::vector<Fact>> consumer_facts(const std::string& consumer_iri,
                                           const v1::ResolveRequest& request);

  Federation& federation_;
  ResolutionStore& store_;
  std::shared_ptr<const ConsumerManifestReader> reader_;
  ResolverOptions options_;
  mutable std::mutex mutex_;
  std::unique_ptr<CatalogueIndex> index_;
  PrerequisiteMemo prerequisite_memo_;  // under mutex_, as the index
  ManifestCache manifests_;             // under mutex_
  // The threads of a resolution's parallel parts, kept across requests (under mutex_).
  std::unique_ptr<Workers> workers_;
  std::atomic<bool> ready_{false};
  std::atomic<std::chrono::steady_clock::rep> last_activity_{0};
  void note_activity() {
    last_activity_ = std::chrono::steady_clock::now().time_since_epoch().count();
  }
  bool loading_ = false;
  struct Changed {
    std::set<std::string> providers;
    std::set<std::string> subjects;
  } changed_while_loading_;
};

}  // namespace mpli::resolver
