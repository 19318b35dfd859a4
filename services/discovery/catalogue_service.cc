#include "services/discovery/catalogue_service.h"

#include <nlohmann/json.hpp>

#include "libs/core/digest.h"
#include "libs/core/log.h"

namespace mpli::discovery {

Status problem_status(const ManifestProblem& problem) {
  std::map<std::string, std::string> details;
  if (problem.reason == "syntax") {
    details["problem"] = "syntax";
    details["line"] = std::to_string(problem.line);
    details["column"] = std::to_string(problem.column);
  } else if (problem.reason == "shape") {
    details["problem"] = "shape_violation";
  } else {
    details["problem"] = problem.reason;
  }
  return Status(StatusCode::kInvalidArgument, problem.message, details)
      .with_violations(problem.violations);
}

CatalogueService::CatalogueService(CatalogueStore& store,
                                   std::shared_ptr<const ManifestChecker> checker,
                                   FetchPolicy policy)
    : store_(store), checker_(std::move(checker)), policy_(policy), fetcher_(policy) {}

int64_t CatalogueService::next_refresh_ms(int consecutive_failures) {
  std::lock_guard<std::mutex> lock(random_mutex_);
  double unit = std::uniform_real_distribution<double>(0.0, 1.0)(random_);
  return next_refresh_delay(policy_, consecutive_failures, unit).count();
}

Result<IngestResult> CatalogueService::ingest(const std::string& text,
                                              const std::string& source_url,
                                              const std::string& known_provider_id,
                                              const FetchResponse* fetched, bool describe) {
  FetchMeta meta;
  meta.source_url = source_url;
  meta.content_hash = digest::sha256_hex(text);
  if (fetched != nullptr) {
    meta.etag = fetched->etag;
    meta.last_modified = fetched->last_modified;
  }
  meta.next_refresh_in_ms = source_url.empty() ? 0 : next_refresh_ms(0);

  CheckOutcome checked = checker_->check(text, source_url.empty() ? "upload" : source_url);
  if (auto* problem = std::get_if<ManifestProblem>(&checked)) {
    FetchMeta failed = meta;
    if (!known_provider_id.empty()) {
      auto state = store_.find_provider(known_provider_id);
      int failures = state.is_ok() && state->has_value() ? (*state)->consecutive_failures + 1 : 1;
      failed.next_refresh_in_ms = source_url.empty() ? 0 : next_refresh_ms(failures);
    }
    Status recorded = store_.reject(known_provider_id, text, failed, *problem);
    if (!recorded.is_ok()) log::warn("cannot record a rejection", {{"error", recorded.to_string()}});
    log::info("manifest rejected", {{"provider", known_provider_id}, {"source", source_url},
                                    {"reason", problem->reason}, {"detail", problem->message}});
    return problem_status(*problem);
  }
  auto& accepted = std::get<AcceptedManifest>(checked);
  if (!known_provider_id.empty() && accepted.summary.provider_id != known_provider_id) {
    ManifestProblem renamed{"content",
                            "the manifest now names provider '" + accepted.summary.provider_id +
                                "', but it is registered as '" + known_provider_id + "'",
                            0, 0, {}};
    Status recorded = store_.reject(known_provider_id, text, meta, renamed);
    if (!recorded.is_ok()) log::warn("cannot record a rejection", {{"error", recorded.to_string()}});
    return problem_status(renamed);
  }
  auto outcome = store_.accept(accepted, text, meta);
  if (!outcome) return outcome.status();
  if (!outcome->unchanged) {
    log::info("manifest ingested",
              {{"provider", accepted.summary.provider_id}, {"added", outcome->added},
               {"changed", outcome->changed}, {"removed", outcome->removed}});
  }
  IngestResult result{{}, outcome->created, outcome->unchanged ? "unchanged" : "updated"};
  if (describe) {
    auto provider = store_.get_provider(accepted.summary.provider_id);
    if (!provider) return provider.status();
    if (!provider->has_value()) return internal_error("provider vanished after it was stored");
    result.provider = **provider;
  }
  return result;
}

Result<IngestResult> CatalogueService::register_url(const std::string& url) {
  MPLI_RETURN_IF_ERROR(check_manifest_url(url, policy_));
  auto known = store_.find_provider_by_url(url);
  if (!known) return known.status();
  if (known->has_value()) return refresh((*known)->id);
  auto fetched = fetcher_.fetch({url, "", ""});
  if (!fetched) {
    Status recorded = store_.fetch_failed("", url, fetched.status(), 0);
    if (!recorded.is_ok()) log::warn("cannot record a failed fetch", {{"error", recorded.to_string()}});
    return fetched.status();
  }
  return ingest(fetched->body, url, "", &fetched.value(), true);
}

Result<IngestResult> CatalogueService::register_upload(const std::string& turtle) {
  return ingest(turtle, "", "", nullptr, true);
}

Result<IngestResult> CatalogueService::refresh(const std::string& provider_id) {
  auto state = store_.find_provider(provider_id);
  if (!state) return state.status();
  if (!state->has_value()) {
    return Status(StatusCode::kNotFound, "no provider '" + provider_id + "'", {{"field", "id"}});
  }
  return refresh_known(**state, true);
}

Result<IngestResult> CatalogueService::refresh_known(
    const ProviderState& provider, bool describe,
    std::vector<std::pair<std::string, FetchMeta>>* unchanged_batch) {
  if (provider.manifest_url.empty()) {
    return failed_precondition("provider '" + provider.id +
                               "' was uploaded, not registered by URL; upload a new version instead");
  }
  auto fetched = fetcher_.fetch({provider.manifest_url, provider.etag, provider.last_modified});
  if (!fetched) {
    Status recorded = store_.fetch_failed(provider.id, provider.manifest_url, fetched.status(),
                                          next_refresh_ms(provider.consecutive_failures + 1));
    if (!recorded.is_ok()) log::warn("cannot record a failed fetch", {{"error", recorded.to_string()}});
    return fetched.status();
  }
  // A server without validators (or one that ignores them) sends the same bytes again: an
  // equal hash is as good as a 304, and nothing is parsed.
  if (fetched->not_modified ||
      (!provider.current_hash.empty() && digest::sha256_hex(fetched->body) == provider.current_hash)) {
    FetchMeta meta;
    meta.etag = fetched->etag;
    meta.last_modified = fetched->last_modified;
    meta.next_refresh_in_ms = next_refresh_ms(0);
    if (unchanged_batch != nullptr) {
      unchanged_batch->emplace_back(provider.id, meta);
    } else {
      MPLI_RETURN_IF_ERROR(store_.not_modified(provider.id, meta));
    }
    IngestResult result{{}, false, "unchanged"};
    if (describe) {
      auto record = store_.get_provider(provider.id);
      if (!record) return record.status();
      result.provider = record->value_or(v1::Provider());
    }
    return result;
  }
  return ingest(fetched->body, provider.manifest_url, provider.id, &fetched.value(), describe);
}

int CatalogueService::refresh_due(int limit) {
  // The claim outlives the slowest possible fetch, so no one else takes it meanwhile.
  auto due = store_.claim_due(limit, policy_.timeout.count() * 3 + 60000);
  if (!due) {
    log::warn("cannot list due providers", {{"error", due.status().to_string()}});
    return 0;
  }
  std::vector<std::pair<std::string, FetchMeta>> unchanged;
  for (const auto& provider : *due) {
    auto refreshed = refresh_known(provider, false, &unchanged);
    if (!refreshed) {
      log::info("scheduled refresh failed",
                {{"provider", provider.id}, {"error", refreshed.status().to_string()}});
    }
  }
  // Most rounds change nothing: their bookkeeping is one statement, not one per provider.
  Status stored = store_.not_modified(unchanged);
  if (!stored.is_ok()) log::warn("cannot record unchanged providers", {{"error", stored.to_string()}});
  return static_cast<int>(due->size());
}

}  // namespace mpli::discovery
