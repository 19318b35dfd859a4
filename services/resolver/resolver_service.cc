#include "services/resolver/resolver_service.h"

#include <algorithm>
#include <future>

#include "libs/core/clock.h"
#include "libs/core/digest.h"
#include "libs/core/ids.h"
#include "libs/core/log.h"
#include "services/resolver/domain/column_checks.h"

namespace mpli::resolver {

namespace {

Status bad_request(const std::string& field, const std::string& message) {
  return resolver_error(StatusCode::kInvalidArgument, "BAD_REQUEST", field + ": " + message,
                        {{"field", field}});
}

// Events that arrive while the index loads are retried after it (the kit naks them).
Status not_ready() {
  return resolver_error(StatusCode::kUnavailable, "INDEX_NOT_READY",
                        "the catalogue index is still loading")
      .with_retry_after(std::chrono::seconds(1));
}

Status offering_not_found(const std::string& offering) {
  return resolver_error(StatusCode::kNotFound, "OFFERING_NOT_FOUND",
                        "no offering '" + offering + "' in the catalogue",
                        {{"field", "offering_id"}});
}

}  // namespace

ResolverService::ResolverService(Federation& federation, ResolutionStore& store,
                                 std::shared_ptr<const ConsumerManifestReader> reader,
                                 ResolverOptions options)
    : federation_(federation),
      store_(store),
      reader_(std::move(reader)),
      options_(options),
      index_(std::make_unique<CatalogueIndex>()),
      workers_(std::make_unique<Workers>(std::max<size_t>(1, options.match_threads))) {}

Status ResolverService::load_all() {
  {
    // Changes that arrive while the fresh index is read are noted, and read again into it
    // once it is in place: the export may have been taken before them.
    std::lock_guard<std::mutex> lock(mutex_);
    loading_ = true;
    changed_while_loading_ = {};
  }
  Status loaded = build_and_swap();
  std::vector<std::string> providers;
  std::vector<std::string> subjects;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    loading_ = false;
    providers.assign(changed_while_loading_.providers.begin(),
                     changed_while_loading_.providers.end());
    subjects.assign(changed_while_loading_.subjects.begin(), changed_while_loading_.subjects.end());
  }
  MPLI_RETURN_IF_ERROR(loaded);
  for (const auto& id : providers) MPLI_RETURN_IF_ERROR(sync_provider(id));
  for (const auto& subject : subjects) MPLI_RETURN_IF_ERROR(sync_facts(subject));
  return Status::ok();
}

bool ResolverService::needs_compaction() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return ready_ && worth_compacting(index_->terms()->size(), index_->unused_terms(),
                                    options_.compaction_slack);
}

Result<std::shared_ptr<const ConsumerManifest>> ResolverService::read_manifest(
    const std::string& text) {
  if (auto known = manifests_.find(text, index_->terms())) return known;
  const size_t before = index_->terms()->size();
  auto manifest = reader_->read(text, index_->terms());
  // Its terms are the request's; they stay in the shared table after it.
  index_->add_unused_terms(index_->terms()->size() - before);
  if (!manifest.is_ok()) return manifest.status();
  std::shared_ptr<const ConsumerManifest> read = std::move(*manifest);
  manifests_.put(text, read);
  return read;
}

Status ResolverService::build_and_swap() {
  auto fresh = std::make_unique<CatalogueIndex>();
  MPLI_ASSIGN_OR_RETURN(auto ids, federation_.provider_ids());
  // Facts first: providers' graphs are built with the facts already known.
  std::unordered_map<std::string, std::vector<Fact>> facts;
  MPLI_RETURN_IF_ERROR(federation_.all_facts([&](std::vector<Fact> page) {
    for (auto& fact : page) facts[fact.subject].push_back(std::move(fact));
  }));
  for (auto& [subject, held] : facts) fresh->set_facts(subject, std::move(held));
  for (const auto& id : ids) {
    auto document = federation_.provider_manifest(id);
    if (!document.is_ok()) {
      if (document.status().code() == StatusCode::kNotFound) continue;  // deleted meanwhile
      return document.status();
    }
    Status put = fresh->put_provider(id, *document);
    if (!put.is_ok())
      log::warn("provider left out of the index", {{"provider", id}, {"error", put.message()}});
  }
  std::lock_guard<std::mutex> lock(mutex_);
  index_ = std::move(fresh);
  // Manifests read into the old term table would keep it alive (a compaction's whole point is
  // to free it).
  manifests_.clear();
  ready_ = true;
  note_activity();
  log::info("catalogue index loaded", {{"providers", std::to_string(index_->providers().size())},
                                       {"offerings", std::to_string(index_->offering_count())}});
  return Status::ok();
}

Status ResolverService::sync_provider(const std::string& provider_id) {
  if (!ready_) return not_ready();
  auto document = federation_.provider_manifest(provider_id);
  std::lock_guard<std::mutex> lock(mutex_);
  if (loading_) changed_while_loading_.providers.insert(provider_id);
  note_activity();
  if (!document.is_ok()) {
    if (document.status().code() != StatusCode::kNotFound) return document.status();
    index_->remove_provider(provider_id);
    return Status::ok();
  }
  Status put = index_->put_provider(provider_id, *document);
  if (!put.is_ok()) {
    // Discovery accepted it, so this is our bug or a newer vocabulary: keep the old version.
    log::warn("provider not re-indexed", {{"provider", provider_id}, {"error", put.message()}});
  }
  return Status::ok();
}

Status ResolverService::sync_facts(const std::string& subject) {
  if (!ready_) return not_ready();
  MPLI_ASSIGN_OR_RETURN(auto facts, federation_.facts_about(subject));
  std::lock_guard<std::mutex> lock(mutex_);
  if (loading_) changed_while_loading_.subjects.insert(subject);
  note_activity();
  index_->set_facts(subject, std::move(facts));
  return Status::ok();
}

Result<std::vector<Fact>> ResolverService::consumer_facts(const std::string& consumer_iri,
                                                          const v1::ResolveRequest& request) {
  for (int i = 0; i < request.credentials_size(); ++i) {
    Status submitted = federation_.submit_credential(request.credentials(i), consumer_iri);
    if (!submitted.is_ok()) {
      if (submitted.code() != StatusCode::kInvalidArgument &&
          submitted.code() != StatusCode::kFailedPrecondition &&
          submitted.code() != StatusCode::kTooLarge) {
        return submitted;  // trust is down or busy: the caller may retry
      }
      std::map<std::string, std::string> details = submitted.details();
      details["field"] = "credentials[" + std::to_string(i) + "]";
      details["trust_reason"] = submitted.detail("reason");
      details["reason"] = "CREDENTIAL_REFUSED";
      details["domain"] = kErrorDomain;
      return Status(StatusCode::kInvalidArgument,
                    "credentials[" + std::to_string(i) + "]: " + submitted.message(), details);
    }
  }
  // Asked now rather than read from the index: facts from a credential sent a moment ago
  // reach the index only with trust's event.
  return federation_.facts_about(consumer_iri);
}

Result<v1::Resolution> ResolverService::resolve(const v1::ResolveRequest& request) {
  if (!ready_) return not_ready();
  MPLI_RETURN_IF_ERROR(check_tenant(request.tenant()));
  ResolveOptions options;
  options.top_k =
      request.top_k() == 0 ? options_.default_top_k : static_cast<size_t>(request.top_k());
  options.explain_limit = request.explain_limit() == 0
                              ? options_.default_explain_limit
                              : static_cast<size_t>(request.explain_limit());
  options.max_search_nodes = options_.max_search_nodes;
  options.match_threads = options_.match_threads;
  options.workers = workers_.get();
  if (request.top_k() < 0 || request.top_k() > 100) return bad_request("top_k", "must be 1..100");
  if (request.explain_limit() < 0 || request.explain_limit() > 1000) {
    return bad_request("explain_limit", "must be 0..1000");
  }
  std::shared_ptr<const ConsumerManifest> manifest;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    MPLI_ASSIGN_OR_RETURN(manifest, read_manifest(request.manifest()));
  }
  // The consumer's facts are trust's of now. A manifest sent with credentials has trust verify
  // them first (no lock: that may take a while). Otherwise trust is asked while the resolution
  // is made with the index's copy of the facts (kept current by trust's events), and made
  // again with trust's answer in the rare case the two differ (an event still on its way): the
  // answer is the one trust's facts give, the round trip to trust hidden behind the resolve.
  std::vector<Fact> facts;
  std::future<Result<std::vector<Fact>>> asked;
  if (request.credentials_size() > 0) {
    MPLI_ASSIGN_OR_RETURN(facts, consumer_facts(manifest->consumer_iri, request));
  } else {
    asked = std::async(std::launch::async, [this, consumer = manifest->consumer_iri] {
      return federation_.facts_about(consumer);
    });
  }
  v1::Resolution resolution;
  // Every return below waits for `asked` first (a std::async future's destructor does).
  auto resolve_with_index = [&](const std::vector<Fact>* given) -> Status {
    std::lock_guard<std::mutex> lock(mutex_);
    // A compaction may have swapped in a new index, with a new term table, meanwhile.
    if (manifest->graph.terms_ptr() != index_->terms()) {
      MPLI_ASSIGN_OR_RETURN(manifest, read_manifest(request.manifest()));
    }
    if (given == nullptr) facts = index_->facts_about(manifest->consumer_iri);
    // Columns for the paths its requirement shapes ask about: built on first use, kept
    // current from then on, so repeated shapes are matched without visiting each graph.
    prepare_columns(*index_, *manifest);
    resolution = mpli::resolver::resolve(*index_, *manifest, facts, options, &prerequisite_memo_);
    return Status::ok();
  };
  if (asked.valid()) {
    MPLI_RETURN_IF_ERROR(resolve_with_index(nullptr));
    MPLI_ASSIGN_OR_RETURN(auto trusted, asked.get());
    if (trusted != facts) {
      log::info("resolved again: trust's facts about the consumer differ from the index's",
                {{"consumer", manifest->consumer_iri},
                 {"trust", std::to_string(trusted.size())},
                 {"index", std::to_string(facts.size())}});
      facts = std::move(trusted);
      MPLI_RETURN_IF_ERROR(resolve_with_index(&facts));
    }
  } else {
    MPLI_RETURN_IF_ERROR(resolve_with_index(&facts));
  }
  resolution.set_id("res_" + ids::new_uuid_v7());
  resolution.set_created_at(clock::now_rfc3339());
  resolution.set_manifest_sha256(digest::sha256_hex(request.manifest()));
  resolution.set_tenant(request.tenant());
  MPLI_RETURN_IF_ERROR(store_.put(request.manifest(), resolution));
  note_activity();
  return resolution;
}

Result<v1::Resolution> ResolverService::get(const std::string& id, const std::string& tenant) {
  MPLI_ASSIGN_OR_RETURN(auto stored, store_.get(id));
  MPLI_RETURN_IF_ERROR(check_visible(stored ? &stored->resolution : nullptr, id, tenant, "id"));
  return std::move(stored->resolution);
}

Result<v1::RecheckAnswerReply> ResolverService::recheck(const std::string& id, int rank,
                                                        const std::string& tenant) {
  MPLI_ASSIGN_OR_RETURN(auto stored, store_.get(id));
  // Before the rank: another tenant learns nothing, not even how many answers there are.
  MPLI_RETURN_IF_ERROR(
      check_visible(stored ? &stored->resolution : nullptr, id, tenant, "resolution_id"));
  const v1::Resolution& resolution = stored->resolution;
  if (rank < 1 || rank > resolution.answers_size()) {
    return resolver_error(StatusCode::kNotFound, "ANSWER_NOT_FOUND",
                          "resolution '" + id + "' has " +
                              std::to_string(resolution.answers_size()) +
                              " answer(s); there is no rank " + std::to_string(rank),
                          {{"field", "rank"}});
  }
  MPLI_ASSIGN_OR_RETURN(auto facts, federation_.facts_about(resolution.consumer()));
  v1::RecheckAnswerReply reply;
  *reply.mutable_answer() = resolution.answers(rank - 1);
  std::lock_guard<std::mutex> lock(mutex_);
  MPLI_ASSIGN_OR_RETURN(auto manifest, read_manifest(stored->manifest));
  RecheckOutcome outcome = mpli::resolver::recheck(*index_, *manifest, facts, reply.answer());
  reply.set_holds(outcome.reasons.empty());
  for (auto& reason : outcome.reasons) reply.add_reasons(std::move(reason));
  reply.set_monthly_price_now(outcome.monthly_price_now);
  return reply;
}

Result<v1::CheckOfferingReply> ResolverService::check_offering(const std::string& id,
                                                               const std::string& requirement,
                                                               const std::string& offering,
                                                               const std::string& tenant) {
  if (!ready_) return not_ready();  // an index still loading would call every offering unknown
  MPLI_ASSIGN_OR_RETURN(auto stored, store_.get(id));
  // Before the requirement: another tenant learns nothing of what the resolution holds.
  MPLI_RETURN_IF_ERROR(
      check_visible(stored ? &stored->resolution : nullptr, id, tenant, "resolution_id"));
  const v1::Resolution& resolution = stored->resolution;
  // The stored report has one entry per requirement of the manifest: asked before the
  // manifest is read again and before trust is asked for the facts.
  bool known = std::any_of(
      resolution.requirements().begin(), resolution.requirements().end(),
      [&](const v1::RequirementReport& report) { return report.requirement() == requirement; });
  if (!known) {
    std::string listed;
    for (const auto& report : resolution.requirements()) {
      listed += (listed.empty() ? "" : ", ") + report.requirement();
    }
    return resolver_error(StatusCode::kNotFound, "REQUIREMENT_NOT_FOUND",
                          "resolution '" + id + "' has no requirement '" + requirement +
                              "' (its requirements: " + listed + ")",
                          {{"field", "requirement"}});
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!index_->find_offering(offering)) return offering_not_found(offering);
  }
  // Trust's answer may take a while: no lock.
  MPLI_ASSIGN_OR_RETURN(auto facts, federation_.facts_about(resolution.consumer()));
  std::lock_guard<std::mutex> lock(mutex_);
  MPLI_ASSIGN_OR_RETURN(auto manifest, read_manifest(stored->manifest));
  auto served = std::find_if(manifest->requirements.begin(), manifest->requirements.end(),
                             [&](const Requirement& r) { return r.iri == requirement; });
  if (served == manifest->requirements.end()) {
    return internal_error("resolution " + id + ": requirement " + requirement +
                          " is in its report but not in its manifest");
  }
  auto ref = index_->find_offering(offering);
  if (!ref) return offering_not_found(offering);  // its provider left meanwhile
  return mpli::resolver::check_offering(*index_, *manifest, facts, *served, *ref);
}

size_t ResolverService::offering_count() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return index_->offering_count();
}

}  // namespace mpli::resolver
