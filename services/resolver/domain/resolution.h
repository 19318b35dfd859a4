// Resolution: a consumer manifest against the catalogue index, both ways (offering fits
// requirement; consumer fits the provider's prerequisites), composed, ranked and explained.
// Pure: the index, the manifest and the consumer's verified facts in, a Resolution out.
#pragma once

#include <deque>
#include <list>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "mpli/resolver/v1/resolver.pb.h"
#include "services/resolver/domain/catalogue_index.h"
#include "services/resolver/domain/consumer_manifest.h"
#include "services/resolver/domain/workers.h"

namespace mpli::resolver {

struct ResolveOptions {
  size_t top_k = 10;
  size_t explain_limit = 20;
  uint64_t max_search_nodes = 5'000'000;
  // Candidates are matched by up to this many threads, each taking a run of providers, when
  // the largest requirement has at least `candidates_per_thread` candidates for each.
  size_t match_threads = 2;
  size_t candidates_per_thread = 4096;
  // The threads to do so with (and to build and plan the composition side by side), kept by
  // the caller across resolutions; nullptr: started for this one (match_threads in all).
  Workers* workers = nullptr;
};

// What providers' consumer prerequisites gave for a consumer's verified facts, kept across
// resolutions: once requirement shapes are matched through columns, evaluating thousands of
// providers' prerequisites is the largest share of a resolve, and its outcome changes only
// with the provider (each entry notes the ProviderSegment::version it was computed for) or
// with the consumer's facts (the key of a table). Holds the tables of the `consumers` most
// recently used fact sets. Not thread-safe: the service uses it under its lock. Each key has a
// table per slot: the threads of one resolution each take their own (asked for before they
// start), and as they take the same runs of providers each time, each finds its own again.
class PrerequisiteMemo {
 public:
  explicit PrerequisiteMemo(size_t consumers = 8) : capacity_(consumers) {}

  struct Entry {
    uint64_t version = 0;  // of the segment the refusals were computed for; 0: none yet
    std::vector<v1::ProviderRefusal> refusals;
  };
  using Table = std::unordered_map<const ProviderSegment*, Entry>;
  // The table for a key of consumer facts, made the most recent; the least recent beyond the
  // capacity is dropped, and a table grown past `max_entries` (providers that left) emptied.
  Table& table(const std::string& key, size_t max_entries, size_t slot = 0);

 private:
  size_t capacity_;
  std::list<std::pair<std::string, std::deque<Table>>> tables_;  // most recently used first
};

// Everything but id, created_at and manifest_sha256, which the service sets. With a memo,
// prerequisite outcomes are taken from it and added to it (the answer is the same).
v1::Resolution resolve(const CatalogueIndex& index, const ConsumerManifest& manifest,
                       const std::vector<Fact>& consumer_facts, const ResolveOptions& options,
                       PrerequisiteMemo* memo = nullptr);

// Does `answer` (from a resolution of `manifest`) still hold now? Reasons are empty when it
// does; `monthly_price_now` is what its assignments cost at today's prices.
struct RecheckOutcome {
  std::vector<std::string> reasons;
  double monthly_price_now = 0;
};
RecheckOutcome recheck(const CatalogueIndex& index, const ConsumerManifest& manifest,
                       const std::vector<Fact>& consumer_facts, const v1::Answer& answer);

// Does offering `ref` serve `requirement` (of `manifest`), for a consumer with
// `consumer_facts`? The same per-candidate checks as resolve(), every one of them made: fits
// is exactly resolve()'s verdict on that candidate; failures are the requirement's (shape,
// price, currency), refusals the prerequisites' the consumer fails, and reasons one sentence
// for each.
v1::CheckOfferingReply check_offering(const CatalogueIndex& index, const ConsumerManifest& manifest,
                                      const std::vector<Fact>& consumer_facts,
                                      const Requirement& requirement, const OfferingRef& ref);

// Great-circle distance in km (haversine, mean Earth radius 6371 km).
double great_circle_km(double lat1, double lon1, double lat2, double lon2);

}  // namespace mpli::resolver
