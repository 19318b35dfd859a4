#include "services/discovery/catalogue_service.h"

#include <optional>
#include <set>

#include "libs/core/digest.h"
#include "libs/core/log.h"
#include "services/discovery/domain/errors.h"
#include "services/discovery/domain/ingest_plan.h"
#include "services/discovery/domain/paging.h"

namespace mpli::discovery {
namespace {

constexpr int kDefaultPageLimit = 50;
constexpr int kMaxPageLimit = 500;
// Providers whose documents one export read looks at (each up to the page's remaining
// budget); a page that is not full after them reads the next ones.
constexpr int kExportProvidersPerRead = 8;
// An export chunk is re-read longer while a single line does not fit; past this, the stored
// document is not line-terminated and something else is wrong.
constexpr int64_t kLongestExportRead = int64_t{256} * 1024 * 1024;

Result<int> page_limit(int32_t requested) {
  if (requested < 0 || requested > kMaxPageLimit) {
    return discovery_error(StatusCode::kInvalidArgument, v1::BAD_FILTER,
                           "limit: must be from 1 to " + std::to_string(kMaxPageLimit),
                           {{"field", "limit"}});
  }
  return requested == 0 ? kDefaultPageLimit : requested;
}

bool abandoned_for_shutdown(const Status& status) { return reason_of(status) == v1::SHUTTING_DOWN; }

// Keeps the leading items of `items` that fit in `budget` together with the reply's cursor:
// `fill(n)` builds the reply from the first n items and returns its encoded size.
template <typename Fill>
size_t fit_page(size_t available, size_t budget, const std::vector<size_t>& item_bytes, Fill fill) {
  size_t count = std::min(available, items_within(item_bytes, budget));
  while (fill(count) > budget && count > 1) --count;
  return count;
}

}  // namespace

CatalogueService::CatalogueService(CatalogueStore& store,
                                   std::shared_ptr<const ManifestChecker> checker,
                                   CatalogueOptions options, service::StopToken stop)
    : store_(store),
      checker_(std::move(checker)),
      options_(std::move(options)),
      stop_(std::move(stop)),
      fetcher_(options_.policy, stop_),
      cursors_(options_.cursor_secret) {}

int64_t CatalogueService::next_refresh_ms(int consecutive_failures) {
  std::lock_guard<std::mutex> lock(random_mutex_);
  double unit = std::uniform_real_distribution<double>(0.0, 1.0)(random_);
  return next_refresh_delay(options_.policy, consecutive_failures, unit).count();
}

size_t CatalogueService::page_budget() const {
  return discovery::page_budget(options_.page_bytes, options_.max_payload());
}

Status CatalogueService::record_rejection(const std::string& provider_id, const std::string& text,
                                          const FetchMeta& meta, const ManifestProblem& problem) {
  Arrival arrival{meta.source_url, meta.content_hash};
  return store_.reject(provider_id, text, meta, problem, [&](const CurrentState& state) {
    return plan_rejection(state, provider_id, arrival, problem);
  });
}

Result<IngestResult> CatalogueService::ingest(const std::string& text,
                                              const std::string& source_url,
                                              const std::string& known_provider_id,
                                              const FetchResponse* fetched, bool describe,
                                              const std::string& expected_provider_id,
                                              bool recheck) {
  FetchMeta meta;
  meta.source_url = source_url;
  meta.content_hash = digest::sha256_hex(text);
  if (fetched != nullptr) {
    meta.etag = fetched->etag;
    meta.last_modified = fetched->last_modified;
  }
  meta.next_refresh_in_ms = source_url.empty() ? 0 : next_refresh_ms(0);

  MPLI_ASSIGN_OR_RETURN(auto checker, current_checker());
  CheckOutcome checked = checker->check(text, source_url.empty() ? "upload" : source_url);
  if (auto* problem = std::get_if<ManifestProblem>(&checked)) {
    FetchMeta failed = meta;
    if (!known_provider_id.empty()) {
      auto state = store_.find_provider(known_provider_id);
      int failures = state.is_ok() && state->has_value() ? (*state)->consecutive_failures + 1 : 1;
      failed.next_refresh_in_ms = source_url.empty() ? 0 : next_refresh_ms(failures);
    }
    Status recorded = record_rejection(known_provider_id, text, failed, *problem);
    if (!recorded.is_ok())
      log::warn("cannot record a rejection", {{"error", recorded.to_string()}});
    log::info("manifest rejected", {{"provider", known_provider_id},
                                    {"source", source_url},
                                    {"reason", v1::ErrorReason_Name(problem->reason)},
                                    {"detail", problem->message}});
    return problem_status(*problem);
  }
  auto& accepted = std::get<AcceptedManifest>(checked);
  // Before the store is asked anything: a refused registration leaves no trace.
  MPLI_RETURN_IF_ERROR(check_expected_provider(expected_provider_id, accepted.summary.provider_id));
  if (!known_provider_id.empty() && accepted.summary.provider_id != known_provider_id) {
    ManifestProblem renamed{v1::MANIFEST_CONTENT,
                            "the manifest now names provider '" + accepted.summary.provider_id +
                                "', but it is registered as '" + known_provider_id + "'",
                            0,
                            0,
                            {},
                            {}};
    Status recorded = record_rejection(known_provider_id, text, meta, renamed);
    if (!recorded.is_ok())
      log::warn("cannot record a rejection", {{"error", recorded.to_string()}});
    return problem_status(renamed);
  }
  Arrival arrival{meta.source_url, meta.content_hash, recheck};
  MPLI_ASSIGN_OR_RETURN(IngestPlan plan,
                        store_.accept(accepted, text, meta, [&](const CurrentState& state) {
                          return plan_ingest(state, accepted, arrival);
                        }));
  if (!plan.unchanged) {
    log::info("manifest ingested", {{"provider", accepted.summary.provider_id},
                                    {"added", plan.added},
                                    {"changed", plan.changed},
                                    {"removed", plan.removed}});
  }
  IngestResult result{
      {}, plan.create_provider, plan.unchanged ? "unchanged" : "updated", accepted.warnings};
  if (describe) {
    MPLI_ASSIGN_OR_RETURN(result.provider, get_provider(accepted.summary.provider_id));
  }
  return result;
}

Result<IngestResult> CatalogueService::register_url(const std::string& url,
                                                    const std::string& expected_provider_id) {
  MPLI_RETURN_IF_ERROR(check_manifest_url(url, options_.policy));
  MPLI_ASSIGN_OR_RETURN(auto known, store_.find_provider_by_url(url));
  if (known.has_value()) {
    // The URL's provider is known: a caller that may register only another one does not get
    // to refresh it. A refresh refuses a manifest that changed its id (ingest).
    MPLI_RETURN_IF_ERROR(check_expected_provider(expected_provider_id, known->id));
    return refresh(known->id);
  }
  auto fetched = fetcher_.fetch({url, "", ""});
  if (!fetched) {
    if (abandoned_for_shutdown(fetched.status())) return fetched.status();
    Status recorded = store_.fetch_failed("", url, fetched.status(), 0);
    if (!recorded.is_ok())
      log::warn("cannot record a failed fetch", {{"error", recorded.to_string()}});
    return fetched.status();
  }
  return ingest(fetched->body, url, "", &fetched.value(), true, expected_provider_id);
}

Result<IngestResult> CatalogueService::register_upload(const std::string& turtle,
                                                       const std::string& expected_provider_id) {
  return ingest(turtle, "", "", nullptr, true, expected_provider_id);
}

Result<IngestResult> CatalogueService::refresh(const std::string& provider_id) {
  MPLI_ASSIGN_OR_RETURN(auto state, store_.find_provider(provider_id));
  if (!state.has_value()) {
    return discovery_error(StatusCode::kNotFound, v1::PROVIDER_NOT_FOUND,
                           "no provider '" + provider_id + "'", {{"field", "id"}});
  }
  return refresh_known(*state, true);
}

Result<IngestResult> CatalogueService::refresh_known(
    const ProviderState& provider, bool describe,
    std::vector<std::pair<std::string, FetchMeta>>* unchanged_batch) {
  if (provider.manifest_url.empty()) {
    return discovery_error(StatusCode::kFailedPrecondition, v1::NOT_REFRESHABLE,
                           "provider '" + provider.id +
                               "' was uploaded, not registered by URL; upload a new version "
                               "instead",
                           {{"field", "id"}});
  }
  auto fetched = fetcher_.fetch({provider.manifest_url, provider.etag, provider.last_modified});
  if (!fetched) {
    // An abandoned fetch says nothing about the provider: nothing is recorded against it.
    if (abandoned_for_shutdown(fetched.status())) return fetched.status();
    Status recorded = store_.fetch_failed(provider.id, provider.manifest_url, fetched.status(),
                                          next_refresh_ms(provider.consecutive_failures + 1));
    if (!recorded.is_ok())
      log::warn("cannot record a failed fetch", {{"error", recorded.to_string()}});
    return fetched.status();
  }
  // A server without validators (or one that ignores them) sends the same bytes again: an
  // equal hash is as good as a 304, and nothing is parsed.
  if (fetched->not_modified || (!provider.current_hash.empty() &&
                                digest::sha256_hex(fetched->body) == provider.current_hash)) {
    FetchMeta meta;
    meta.etag = fetched->etag;
    meta.last_modified = fetched->last_modified;
    meta.next_refresh_in_ms = next_refresh_ms(0);
    if (unchanged_batch != nullptr) {
      unchanged_batch->emplace_back(provider.id, meta);
    } else {
      MPLI_RETURN_IF_ERROR(store_.not_modified({{provider.id, meta}}));
    }
    IngestResult result{{}, false, "unchanged", {}};
    if (describe) {
      MPLI_ASSIGN_OR_RETURN(result.provider, get_provider(provider.id));
    }
    return result;
  }
  return ingest(fetched->body, provider.manifest_url, provider.id, &fetched.value(), describe);
}

int CatalogueService::refresh_due(int limit) {
  // The claim outlives the slowest possible fetch, so no one else takes it meanwhile.
  auto due = store_.claim_due(limit, options_.policy.guards.timeout.count() * 3 + 60000);
  if (!due) {
    log::warn("cannot list due providers", {{"error", due.status().to_string()}});
    return 0;
  }
  std::vector<std::pair<std::string, FetchMeta>> unchanged;
  std::vector<std::string> unfinished;
  for (const auto& provider : *due) {
    if (!unfinished.empty() || stop_.stop_requested()) {
      unfinished.push_back(provider.id);
      continue;
    }
    auto refreshed = refresh_known(provider, false, &unchanged);
    if (!refreshed && abandoned_for_shutdown(refreshed.status())) {
      unfinished.push_back(provider.id);
    } else if (!refreshed) {
      log::info("scheduled refresh failed",
                {{"provider", provider.id}, {"error", refreshed.status().to_string()}});
    }
  }
  // Most rounds change nothing: their bookkeeping is one statement, not one per provider.
  Status stored = store_.not_modified(unchanged);
  if (!stored.is_ok())
    log::warn("cannot record unchanged providers", {{"error", stored.to_string()}});
  // Claims this instance will not finish are due again at once, for whichever instance runs.
  Status released = store_.release_claims(unfinished);
  if (!released.is_ok()) {
    log::warn("cannot give back unfinished claims; they expire by themselves",
              {{"error", released.to_string()}, {"providers", unfinished.size()}});
  } else if (!unfinished.empty()) {
    log::info("gave back unfinished refresh claims", {{"providers", unfinished.size()}});
  }
  return static_cast<int>(due->size());
}

Result<v1::Provider> CatalogueService::get_provider(const std::string& id) {
  MPLI_ASSIGN_OR_RETURN(auto provider, store_.get_provider(id));
  if (!provider.has_value()) {
    return discovery_error(StatusCode::kNotFound, v1::PROVIDER_NOT_FOUND,
                           "no provider '" + id + "'", {{"field", "id"}});
  }
  return std::move(*provider);
}

Status CatalogueService::delete_provider(const std::string& id) {
  MPLI_ASSIGN_OR_RETURN(bool deleted, store_.delete_provider(id));
  if (!deleted) {
    return discovery_error(StatusCode::kNotFound, v1::PROVIDER_NOT_FOUND,
                           "no provider '" + id + "'", {{"field", "id"}});
  }
  return Status::ok();
}

Result<v1::ListProvidersReply> CatalogueService::list_providers(
    const v1::ListProvidersRequest& request, bool only_served) {
  MPLI_ASSIGN_OR_RETURN(int limit, page_limit(request.limit()));
  std::string after;
  if (!request.cursor().empty()) {
    MPLI_ASSIGN_OR_RETURN(after, cursors_.open(CursorKind::kProviders, request.cursor()));
  }
  MPLI_ASSIGN_OR_RETURN(auto providers, store_.list_providers(after, limit + 1, only_served));
  std::vector<size_t> sizes;
  for (const auto& p : providers) sizes.push_back(p.ByteSizeLong() + 8);
  v1::ListProvidersReply reply;
  auto fill = [&](size_t count) {
    reply.Clear();
    for (size_t i = 0; i < count; ++i) *reply.add_providers() = providers[i];
    if (count < providers.size() && count > 0) {
      reply.set_next_cursor(cursors_.seal(CursorKind::kProviders, providers[count - 1].id()));
    }
    return reply.ByteSizeLong();
  };
  size_t available = std::min(providers.size(), static_cast<size_t>(limit));
  fill(fit_page(available, page_budget(), sizes, fill));
  return reply;
}

Result<v1::ListOfferingsReply> CatalogueService::list_offerings(const v1::OfferingFilter& filter) {
  MPLI_ASSIGN_OR_RETURN(int limit, page_limit(filter.limit()));
  std::string after;
  if (!filter.cursor().empty()) {
    MPLI_ASSIGN_OR_RETURN(after, cursors_.open(CursorKind::kOfferings, filter.cursor()));
  }
  std::vector<PropertyCondition> conditions;
  if (filter.properties_size() > 0) {
    MPLI_ASSIGN_OR_RETURN(auto checker, current_checker());
    MPLI_ASSIGN_OR_RETURN(conditions, property_conditions(filter, checker->kinds()));
  }
  MPLI_ASSIGN_OR_RETURN(auto offerings,
                        store_.list_offerings(filter, conditions, after, limit + 1));
  std::vector<size_t> sizes;
  for (const auto& o : offerings) sizes.push_back(o.ByteSizeLong() + 8);
  v1::ListOfferingsReply reply;
  auto fill = [&](size_t count) {
    reply.Clear();
    for (size_t i = 0; i < count; ++i) *reply.add_offerings() = offerings[i];
    if (count < offerings.size() && count > 0) {
      reply.set_next_cursor(cursors_.seal(CursorKind::kOfferings, offerings[count - 1].id()));
    }
    return reply.ByteSizeLong();
  };
  size_t available = std::min(offerings.size(), static_cast<size_t>(limit));
  fill(fit_page(available, page_budget(), sizes, fill));
  return reply;
}

Result<std::pair<v1::Offering, std::string>> CatalogueService::get_offering(const std::string& id) {
  MPLI_ASSIGN_OR_RETURN(auto found, store_.get_offering(id));
  if (!found.has_value()) {
    return discovery_error(StatusCode::kNotFound, v1::OFFERING_NOT_FOUND,
                           "no offering '" + id + "'", {{"field", "id"}});
  }
  return std::move(*found);
}

Result<v1::ExportCatalogReply> CatalogueService::export_page(
    const v1::ExportCatalogRequest& request) {
  ExportPosition from{"", 0, true};  // after no provider: the beginning
  if (!request.cursor().empty()) {
    MPLI_ASSIGN_OR_RETURN(std::string position,
                          cursors_.open(CursorKind::kExport, request.cursor()));
    auto decoded = decode_export_position(position);
    if (!decoded) return internal_error("a sealed export cursor holds no position");
    from = *decoded;
  }
  const std::string& only = request.provider_id();
  if (!only.empty() && request.cursor().empty()) {
    // Unknown is an error; known without a served version is an empty document. The Result
    // itself is checked: `.status()` of the temporary would leave the macro's reference
    // dangling once the full expression ends.
    MPLI_RETURN_IF_ERROR(get_provider(only));
  }
  size_t budget = page_budget();
  std::string document;
  std::optional<ExportPosition> next;
  // Characters, not bytes: a read of n characters holds at least n bytes.
  int64_t read_characters = static_cast<int64_t>(budget);
  while (true) {
    MPLI_ASSIGN_OR_RETURN(
        auto chunks, store_.document_chunks(from, read_characters, kExportProvidersPerRead, only));
    bool more_after = static_cast<int>(chunks.size()) == kExportProvidersPerRead;
    ExportPage part = assemble_export_page(chunks, budget, more_after, document.size());
    if (part.needs_longer_chunk) {
      if (read_characters >= kLongestExportRead) {
        return internal_error("the export document of provider '" + part.next->provider_id +
                              "' has a line longer than " + std::to_string(kLongestExportRead) +
                              " characters");
      }
      read_characters *= 2;
      continue;
    }
    document += part.document;
    next = part.next;
    // Every document read was taken whole and room is left: go on with the next providers.
    if (!next || !next->finished || document.size() >= budget) break;
    from = *next;
    read_characters = static_cast<int64_t>(budget - document.size());
  }
  v1::ExportCatalogReply reply;
  reply.set_document(std::move(document));  // N-Triples is also valid Turtle
  if (next)
    reply.set_next_cursor(cursors_.seal(CursorKind::kExport, encode_export_position(*next)));
  return reply;
}

}  // namespace mpli::discovery

namespace mpli::discovery {

Result<std::shared_ptr<const ManifestChecker>> CatalogueService::current_checker() {
  MPLI_ASSIGN_OR_RETURN(std::string generation, store_.kinds_generation());
  std::lock_guard<std::mutex> lock(kinds_mutex_);
  if (generation == kinds_generation_) return checker_;
  MPLI_ASSIGN_OR_RETURN(auto registered, store_.registered_kinds());
  MPLI_ASSIGN_OR_RETURN(auto rebuilt,
                        checker_->with_kinds(current_kinds(options_.builtin_kinds, registered)));
  checker_ = std::move(rebuilt);
  registered_kinds_ = std::move(registered);
  kinds_generation_ = generation;
  return checker_;
}

v1::ServiceKind CatalogueService::describe_kind(const ServiceKind& kind) const {
  std::set<int64_t> versions = {kind.version};
  for (const auto* list : {&options_.builtin_kinds, &registered_kinds_}) {
    for (const ServiceKind& other : *list) {
      if (other.iri == kind.iri) versions.insert(other.version);
    }
  }
  return kind_to_proto(kind, std::vector<int64_t>(versions.begin(), versions.end()));
}

Result<KindRegistrationResult> CatalogueService::register_kind(const std::string& turtle,
                                                               const std::string& registered_by) {
  MPLI_ASSIGN_OR_RETURN(ServiceKind proposed, read_service_kind(turtle, "the kind vocabulary"));
  proposed.provenance = "registered";
  proposed.registered_by = registered_by;
  MPLI_ASSIGN_OR_RETURN(auto checker, current_checker());
  auto plan = [&](const std::vector<ServiceKind>& registered) -> Result<KindRegistration> {
    std::vector<ServiceKind> kinds = current_kinds(options_.builtin_kinds, registered);
    std::map<std::string, ServiceKind> by_iri;
    for (const ServiceKind& kind : kinds) by_iri[kind.iri] = kind;
    MPLI_ASSIGN_OR_RETURN(KindRegistration outcome, plan_kind_registration(by_iri, proposed));
    if (outcome == KindRegistration::kUnchanged) return outcome;
    // Its shapes must compile next to the manifest shapes and the other kinds'.
    std::vector<ServiceKind> registered_after = registered;
    registered_after.push_back(proposed);
    auto compiled = checker->with_kinds(current_kinds(options_.builtin_kinds, registered_after));
    if (!compiled) {
      return discovery_error(
          StatusCode::kInvalidArgument, v1::KIND_INVALID,
          "the kind's shapes do not compile with the others: " + compiled.status().message());
    }
    return outcome;
  };
  MPLI_ASSIGN_OR_RETURN(KindRegistration outcome,
                        store_.register_kind(proposed, plan, [&](KindRegistration) {
                          return kind_to_proto(proposed, {proposed.version});
                        }));
  MPLI_RETURN_IF_ERROR(current_checker().status());
  log::info("service kind registered", {{"kind", proposed.iri},
                                        {"version", std::to_string(proposed.version)},
                                        {"outcome", std::string(registration_name(outcome))},
                                        {"by", registered_by}});
  KindRegistrationResult result;
  result.outcome = outcome;
  // Also when unchanged: a registration that stopped before this step is finished by
  // registering the same text again.
  result.reclassified = reclassify(proposed.iri);
  MPLI_ASSIGN_OR_RETURN(result.kind, get_kind(proposed.iri));
  result.kind.clear_turtle();
  return result;
}

int CatalogueService::reclassify(const std::string& kind_iri) {
  auto providers = store_.providers_with_unclassified(kind_iri);
  if (!providers) {
    log::warn("cannot list unclassified offerings",
              {{"kind", kind_iri}, {"error", providers.status().to_string()}});
    return 0;
  }
  int checked = 0;
  for (const std::string& provider_id : *providers) {
    auto served = store_.served_manifest(provider_id);
    if (!served.is_ok() || !served->has_value()) continue;
    const auto& [text, url] = **served;
    auto result = ingest(text, url, provider_id, nullptr, false, "", true);
    if (result.is_ok()) {
      ++checked;
    } else {
      log::warn(
          "an unclassified offering's manifest failed its kind",
          {{"provider", provider_id}, {"kind", kind_iri}, {"error", result.status().to_string()}});
    }
  }
  return checked;
}

Result<v1::ListKindsReply> CatalogueService::list_kinds() {
  MPLI_ASSIGN_OR_RETURN(auto checker, current_checker());
  v1::ListKindsReply reply;
  std::lock_guard<std::mutex> lock(kinds_mutex_);
  for (const ServiceKind& kind : checker->kinds()) *reply.add_kinds() = describe_kind(kind);
  return reply;
}

Result<v1::ServiceKind> CatalogueService::get_kind(const std::string& name) {
  MPLI_ASSIGN_OR_RETURN(auto checker, current_checker());
  std::lock_guard<std::mutex> lock(kinds_mutex_);
  for (const ServiceKind& kind : checker->kinds()) {
    if (kind.name == name || kind.iri == name) {
      v1::ServiceKind out = describe_kind(kind);
      out.set_turtle(kind.turtle);
      return out;
    }
  }
  return discovery_error(StatusCode::kNotFound, v1::KIND_NOT_FOUND,
                         "no kind '" + name + "' (GET /v1/ontologies lists them)",
                         {{"field", "name"}});
}

}  // namespace mpli::discovery
