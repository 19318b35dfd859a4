// CatalogueStore: the discovery schema in PostgreSQL. Every change of state and the events
// that report it are written in one transaction (transactional outbox).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "libs/core/status.h"
#include "libs/db/pool.h"
#include "mpli/discovery/v1/discovery.pb.h"
#include "services/discovery/domain/manifest_check.h"

namespace mpli::discovery {

struct ProviderState {
  std::string id;
  std::string manifest_url;  // "" for uploads
  std::string etag;
  std::string last_modified;
  std::string current_hash;
  int consecutive_failures = 0;
};

struct FetchMeta {
  std::string source_url;  // "" for uploads
  std::string etag;
  std::string last_modified;
  std::string content_hash;  // sha256 of the text
  int64_t next_refresh_in_ms = 0;  // 0: not scheduled (uploads)
};

struct AcceptOutcome {
  bool created = false;    // a new provider
  bool unchanged = false;  // same text as the version being served: nothing stored, no events
  int added = 0;
  int changed = 0;
  int removed = 0;
};

class CatalogueStore {
 public:
  explicit CatalogueStore(db::Pool& pool) : pool_(pool) {}

  Result<std::optional<ProviderState>> find_provider(const std::string& id);
  Result<std::optional<ProviderState>> find_provider_by_url(const std::string& url);

  // Stores an accepted version: provider upserted, offerings added/changed/removed, events
  // manifest_ingested and offering_* enqueued. Conflicts (provider id registered from another
  // URL, an offering IRI owned by another provider) are kAlreadyExists and change nothing.
  Result<AcceptOutcome> accept(const AcceptedManifest& manifest, const std::string& text,
                               const FetchMeta& meta);
  // A rejected version of a known provider: recorded with its problem, the served version
  // stays; event manifest_rejected. For an unknown provider only the event is written.
  Status reject(const std::string& provider_id, const std::string& text, const FetchMeta& meta,
                const ManifestProblem& problem);
  // A fetch that failed before any text arrived (network, size, time, address).
  Status fetch_failed(const std::string& provider_id, const std::string& url, const Status& why,
                      int64_t next_refresh_in_ms);
  // 304 or an identical text: only the bookkeeping moves.
  Status not_modified(const std::string& provider_id, const FetchMeta& meta);
  // The same for a batch of providers, in one transaction.
  Status not_modified(const std::vector<std::pair<std::string, FetchMeta>>& batch);

  Result<std::vector<v1::Provider>> list_providers();
  Result<std::optional<v1::Provider>> get_provider(const std::string& id);
  // Removes the provider and its offerings; offering_removed for each.
  Result<bool> delete_provider(const std::string& id);
  // Claims up to `limit` providers whose refresh is due, oldest first, by pushing their next
  // refresh `lease_ms` ahead: instances (and workers) never refresh the same provider at once,
  // and a crashed worker's claim simply expires.
  Result<std::vector<ProviderState>> claim_due(int limit, int64_t lease_ms);

  Result<v1::ListOfferingsReply> list_offerings(const v1::OfferingFilter& filter);
  Result<std::optional<std::pair<v1::Offering, std::string>>> get_offering(const std::string& id);
  // One page of the catalogue: the accepted manifests of up to `providers` providers after
  // `cursor` (a provider id), as N-Triples.
  Result<std::pair<std::string, std::string>> export_page(const std::string& cursor, int providers);

 private:
  db::Pool& pool_;
};

// Wire form of an offering record (shared with tests and the event payloads).
v1::Offering to_proto(const OfferingRecord& record);

}  // namespace mpli::discovery
