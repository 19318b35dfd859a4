// The discovery use cases: register (URL or upload), refresh (one provider, or every one that
// is due), delete, and the catalogue reads (paged by count and bytes, behind authenticated
// cursors). Ties the fetcher, the manifest checker, the domain's plans and the store.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <random>
#include <string>

#include "libs/service/stop_token.h"
#include "services/discovery/domain/cursor.h"
#include "services/discovery/domain/fetch_policy.h"
#include "services/discovery/domain/manifest_check.h"
#include "services/discovery/manifest_fetcher.h"
#include "services/discovery/store/catalogue_store.h"

namespace mpli::discovery {

struct IngestResult {
  v1::Provider provider;
  bool created = false;
  std::string outcome;              // "updated", "unchanged"
  std::vector<Violation> warnings;  // of the manifest checked (AcceptedManifest::warnings)
};

struct CatalogueOptions {
  FetchPolicy policy;
  size_t page_bytes = 256 * 1024;  // catalogue.page_bytes; never more than half the bus allows
  std::function<int64_t()> max_payload = [] { return int64_t{0}; };  // the bus's; 0: unknown
  std::string cursor_secret;                                         // cursor.secret
  std::vector<ServiceKind> builtin_kinds;  // ontology/kinds/*.ttl, compiled in
};

struct KindRegistrationResult {
  v1::ServiceKind kind;
  KindRegistration outcome = KindRegistration::kUnchanged;
  int reclassified = 0;  // providers whose unclassified offerings were checked again
};

class CatalogueService {
 public:
  // `stop`: when it fires, fetches in progress are abandoned and unfinished claims given back.
  CatalogueService(CatalogueStore& store, std::shared_ptr<const ManifestChecker> checker,
                   CatalogueOptions options, service::StopToken stop);

  // `expected_provider_id`: when not "", a manifest naming another provider is refused with
  // PROVIDER_MISMATCH and nothing is stored or published (check_expected_provider).
  Result<IngestResult> register_url(const std::string& url,
                                    const std::string& expected_provider_id = "");
  Result<IngestResult> register_upload(const std::string& turtle,
                                       const std::string& expected_provider_id = "");
  Result<IngestResult> refresh(const std::string& provider_id);
  // Claims and refreshes up to `limit` providers whose time has come; returns how many it
  // claimed.
  int refresh_due(int limit);

  Result<v1::Provider> get_provider(const std::string& id);
  Status delete_provider(const std::string& id);
  // `only_served`: the providers with a served version (/.well-known/mpli-providers).
  Result<v1::ListProvidersReply> list_providers(const v1::ListProvidersRequest& request,
                                                bool only_served);
  Result<v1::ListOfferingsReply> list_offerings(const v1::OfferingFilter& filter);
  // The offering's record and its N-Triples.
  Result<std::pair<v1::Offering, std::string>> get_offering(const std::string& id);
  Result<v1::ExportCatalogReply> export_page(const v1::ExportCatalogRequest& request);

  // Service kinds (docs/service-kinds.md). Registering reads and checks the vocabulary, stores
  // it (or refuses a breaking change, an older version or a clash with another kind) with its
  // event, and checks again the unclassified offerings of the kind, provider by provider
  // (each a new version of its served manifest, with the usual offering events).
  Result<KindRegistrationResult> register_kind(const std::string& turtle,
                                               const std::string& registered_by);
  Result<v1::ListKindsReply> list_kinds();
  // By local name or IRI; with the vocabulary's text.
  Result<v1::ServiceKind> get_kind(const std::string& name);

 private:
  // `describe`: fill IngestResult::provider (one more query), for answers to a caller.
  // `recheck`: the served text again, after a kind was registered (a new version even though
  // the text is the same).
  Result<IngestResult> ingest(const std::string& text, const std::string& source_url,
                              const std::string& known_provider_id, const FetchResponse* fetched,
                              bool describe, const std::string& expected_provider_id = "",
                              bool recheck = false);
  // The checker for the kinds in force: rebuilt when any instance registered a kind since.
  Result<std::shared_ptr<const ManifestChecker>> current_checker();
  // Checks again the served manifests of providers with unclassified offerings of the kind.
  int reclassify(const std::string& kind_iri);
  // The wire form of a kind, with every version held of it.
  v1::ServiceKind describe_kind(const ServiceKind& kind) const;
  // `unchanged_batch`: when given, an unchanged provider's bookkeeping is added to it for the
  // caller to store with others, instead of being stored at once.
  Result<IngestResult> refresh_known(
      const ProviderState& provider, bool describe,
      std::vector<std::pair<std::string, FetchMeta>>* unchanged_batch = nullptr);
  Status record_rejection(const std::string& provider_id, const std::string& text,
                          const FetchMeta& meta, const ManifestProblem& problem);
  int64_t next_refresh_ms(int consecutive_failures);
  size_t page_budget() const;

  CatalogueStore& store_;
  std::mutex kinds_mutex_;  // guards the three below
  std::shared_ptr<const ManifestChecker> checker_;
  std::vector<ServiceKind> registered_kinds_;  // as last read, in registration order
  std::string kinds_generation_;               // of registered_kinds_; "" before the first read
  CatalogueOptions options_;
  service::StopToken stop_;
  ManifestFetcher fetcher_;
  CursorCodec cursors_;
  std::mutex random_mutex_;
  std::mt19937_64 random_{std::random_device{}()};
};

}  // namespace mpli::discovery
