#include "services/discovery/domain/ingest_plan.h"

#include "services/discovery/domain/errors.h"
#include "services/discovery/domain/manifest_diff.h"

namespace mpli::discovery {
namespace {

// Which stored versions go so that, with the one about to be stored, at most kVersionsKept
// remain. `protected_id` (the served version, 0 for none) always stays and counts.
std::vector<int64_t> versions_beyond_retention(const std::vector<StoredVersion>& newest_first,
                                               int64_t protected_id) {
  size_t slots = kVersionsKept - 1;  // the new version takes one
  bool protected_present = false;
  for (const auto& v : newest_first) protected_present = protected_present || v.id == protected_id;
  if (protected_present) --slots;
  std::vector<int64_t> doomed;
  for (const auto& v : newest_first) {
    if (v.id == protected_id) continue;
    if (slots > 0) {
      --slots;
    } else {
      doomed.push_back(v.id);
    }
  }
  return doomed;
}

Status provider_taken(const std::string& message) {
  return discovery_error(StatusCode::kConflict, v1::PROVIDER_TAKEN, message,
                         {{"field", "mpli:providerId"}});
}

}  // namespace

Status check_expected_provider(const std::string& expected, const std::string& named) {
  if (expected.empty() || expected == named) return Status::ok();
  return discovery_error(
      StatusCode::kPermissionDenied, v1::PROVIDER_MISMATCH,
      "the manifest names provider '" + named +
          "', but this registration may only register provider '" + expected + "'",
      {{"field", "mpli:providerId"}, {"provider_id", named}, {"expected_provider_id", expected}});
}

Result<IngestPlan> plan_ingest(const CurrentState& state, const AcceptedManifest& manifest,
                               const Arrival& arrival) {
  const ManifestSummary& summary = manifest.summary;
  // A provider registered by URL is that URL's: neither an upload nor another URL replaces it.
  if (state.provider_known && !state.registered_url.empty() &&
      state.registered_url != arrival.source_url) {
    return provider_taken("provider '" + summary.provider_id + "' is registered from " +
                          state.registered_url + "; it cannot be replaced from " +
                          (arrival.source_url.empty() ? "an upload" : arrival.source_url));
  }
  if (!state.provider_known && !state.url_owner.empty()) {
    return provider_taken(arrival.source_url + " is registered for provider '" + state.url_owner +
                          "', but now names '" + summary.provider_id + "'");
  }
  // An offering IRI belongs to the first provider that published it.
  if (!state.offering_owners.empty()) {
    const auto& [offering, owner] = *state.offering_owners.begin();
    return discovery_error(
        StatusCode::kConflict, v1::OFFERING_TAKEN,
        "offering " + offering + " is already published by provider '" + owner + "'",
        {{"field", "mpli:Offering"}, {"offering", offering}});
  }

  IngestPlan plan;
  plan.create_provider = !state.provider_known;
  if (state.provider_known && state.served_hash == arrival.hash && !arrival.recheck) {
    plan.unchanged = true;
    return plan;
  }

  std::map<std::string, std::string> previous_hashes;
  for (const auto& [id, record] : state.offerings) previous_hashes[id] = record.content_hash;
  OfferingDiff diff = diff_offerings(previous_hashes, summary.offerings);
  plan.added = static_cast<int>(diff.added.size());
  plan.changed = static_cast<int>(diff.changed.size());
  plan.removed = static_cast<int>(diff.removed.size());
  plan.upserts = diff.added;
  plan.upserts.insert(plan.upserts.end(), diff.changed.begin(), diff.changed.end());
  plan.removals = diff.removed;
  // The version being replaced is no longer served, so it gets no protection.
  plan.versions_to_delete = versions_beyond_retention(state.versions, 0);

  for (const OfferingRecord* offering : diff.added) {
    plan.events.push_back(OfferingAddedEvent{offering});
  }
  for (const OfferingRecord* offering : diff.changed) {
    plan.events.push_back(OfferingChangedEvent{offering, state.offerings.at(offering->id)});
  }
  for (const std::string& id : diff.removed) {
    plan.events.push_back(OfferingRemovedEvent{id, summary.provider_id});
  }
  plan.events.push_back(ManifestIngestedEvent{
      summary.provider_id, arrival.hash, static_cast<int>(summary.offerings.size()), plan.added,
      plan.changed, plan.removed, summary.provider_iri, summary.provider_domain,
      summary.credentials});
  return plan;
}

RejectionPlan plan_rejection(const CurrentState& state, const std::string& provider_id,
                             const Arrival& arrival, const ManifestProblem& problem) {
  RejectionPlan plan;
  bool repeats_last = state.provider_known && !state.versions.empty() &&
                      !state.versions.front().accepted &&
                      state.versions.front().hash == arrival.hash;
  if (repeats_last) return plan;
  plan.store_version = state.provider_known;
  if (plan.store_version) {
    plan.versions_to_delete = versions_beyond_retention(state.versions, state.served_version);
  }
  plan.events.push_back(ManifestRejectedEvent{provider_id, arrival.source_url, problem});
  return plan;
}

}  // namespace mpli::discovery
