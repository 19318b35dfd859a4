// CatalogueStore: the discovery schema in PostgreSQL, as named SQL and row mapping. It decides
// nothing: a new manifest version is planned by domain/ingest_plan.h from the state this store
// reads under the provider's lock, and the store executes that plan (rows and outbox events)
// in the same transaction, so a state change and the events that report it commit together.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "libs/core/status.h"
#include "libs/db/pool.h"
#include "mpli/discovery/v1/discovery.pb.h"
#include "services/discovery/domain/ingest_plan.h"
#include "services/discovery/domain/manifest_check.h"
#include "services/discovery/domain/paging.h"
#include "services/discovery/domain/property_filter.h"
#include "services/discovery/domain/service_kind.h"

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
  std::string content_hash;        // sha256 of the text
  int64_t next_refresh_in_ms = 0;  // 0: not scheduled (uploads)
};

using IngestPlanner = std::function<Result<IngestPlan>(const CurrentState&)>;
using RejectionPlanner = std::function<RejectionPlan(const CurrentState&)>;

class CatalogueStore {
 public:
  explicit CatalogueStore(db::Pool& pool) : pool_(pool) {}

  Result<std::optional<ProviderState>> find_provider(const std::string& id);
  Result<std::optional<ProviderState>> find_provider_by_url(const std::string& url);

  // Reads the CurrentState of the provider `manifest` names (locking its row), asks `planner`
  // what to do and executes the plan. A plan that is a Status (a conflict) rolls back and comes
  // back as it is; so does any database error.
  Result<IngestPlan> accept(const AcceptedManifest& manifest, const std::string& text,
                            const FetchMeta& meta, const IngestPlanner& planner);
  // A rejected version: for a known provider the bookkeeping (last error, failures, next
  // refresh) always moves; the version and the event as `planner` says.
  Status reject(const std::string& provider_id, const std::string& text, const FetchMeta& meta,
                const ManifestProblem& problem, const RejectionPlanner& planner);
  // A fetch that failed before any text arrived (network, size, time, address): bookkeeping
  // of a known provider and event manifest_rejected.
  Status fetch_failed(const std::string& provider_id, const std::string& url, const Status& why,
                      int64_t next_refresh_in_ms);
  // 304 or an identical text: only the bookkeeping moves, for a batch in one transaction.
  Status not_modified(const std::vector<std::pair<std::string, FetchMeta>>& batch);
  // Claims up to `limit` providers whose refresh is due, oldest first, by pushing their next
  // refresh `lease_ms` ahead: instances (and workers) never refresh the same provider at once,
  // and a crashed worker's claim simply expires.
  Result<std::vector<ProviderState>> claim_due(int limit, int64_t lease_ms);
  // Gives claims back unfinished (the process is stopping): due again at once, for any
  // instance, with nothing recorded against the providers.
  Status release_claims(const std::vector<std::string>& provider_ids);

  // Up to `limit` providers after `after_id` (all, or only those with a served version).
  Result<std::vector<v1::Provider>> list_providers(const std::string& after_id, int limit,
                                                   bool only_served);
  Result<std::optional<v1::Provider>> get_provider(const std::string& id);
  // Removes the provider and its offerings; offering_removed for each.
  Result<bool> delete_provider(const std::string& id);

  // Up to `limit` offerings matching `filter` (its cursor, limit and property filters ignored)
  // and every one of `conditions` (domain/property_filter.h), after `after_id`.
  Result<std::vector<v1::Offering>> list_offerings(const v1::OfferingFilter& filter,
                                                   const std::vector<PropertyCondition>& conditions,
                                                   const std::string& after_id, int limit);
  Result<std::optional<std::pair<v1::Offering, std::string>>> get_offering(const std::string& id);
  // Export reading: from `from`, up to `providers` served documents in provider id order, each
  // read from its offset (the first one's, when `from` is inside it; else 0) for at most
  // `max_characters`. `only` (when not empty) restricts the read to that provider.
  Result<std::vector<DocumentChunk>> document_chunks(const ExportPosition& from,
                                                     int64_t max_characters, int providers,
                                                     const std::string& only = "");

  // ---- Service kinds (docs/service-kinds.md) ----
  // Every registered kind vocabulary, every version, in registration order.
  Result<std::vector<ServiceKind>> registered_kinds();
  // Changes whenever a kind is registered or updated (by any instance): "<count>:<last seq>".
  Result<std::string> kinds_generation();
  // Under a lock on the kinds: reads the registered kinds, asks `planner` what registering
  // `proposed` means and stores it with its event kind_registered (nothing for kUnchanged).
  Result<KindRegistration> register_kind(
      const ServiceKind& proposed,
      const std::function<Result<KindRegistration>(const std::vector<ServiceKind>&)>& planner,
      const std::function<v1::ServiceKind(KindRegistration)>& describe);
  // Providers with offerings of `kind_iri` that are unclassified (kind_version 0).
  Result<std::vector<std::string>> providers_with_unclassified(const std::string& kind_iri);
  // The text and source URL ("" for an upload) of the version a provider is served from.
  Result<std::optional<std::pair<std::string, std::string>>> served_manifest(
      const std::string& provider_id);

 private:
  db::Pool& pool_;
};

// Wire form of an offering record (shared with tests and the event payloads).
v1::Offering to_proto(const OfferingRecord& record);
// Wire form of violations (a rejection's, a registration's warnings).
void fill_violations(const std::vector<Violation>& violations,
                     google::protobuf::RepeatedPtrField<v1::Violation>* out);
// Wire form of a kind, with the versions the hub holds of it.
v1::ServiceKind kind_to_proto(const ServiceKind& kind, const std::vector<int64_t>& versions);

}  // namespace mpli::discovery
