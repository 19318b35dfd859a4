#include "services/trust/trust_service.h"

#include <set>

#include "libs/core/clock.h"
#include "libs/core/digest.h"
#include "libs/core/log.h"
#include "libs/credentials/credential_verifier.h"
#include "libs/credentials/refusal.h"
#include "libs/service/runtime.h"

namespace mpli::trust {
namespace {

using credentials::Refusal;
using credentials::refusal;

std::string rfc3339(std::optional<int64_t> seconds) {
  if (!seconds) return "";
  return clock::to_rfc3339(std::chrono::system_clock::time_point(std::chrono::seconds(*seconds)));
}

// The refusal a judged-but-not-accepted credential answers a caller with.
Status judged_refusal(const CredentialRecord& record) {
  Refusal reason = Refusal::kUntrustedIssuer;
  if (record.state == CredentialState::kRevoked) reason = Refusal::kRevoked;
  if (record.state == CredentialState::kExpired) reason = Refusal::kExpired;
  return refusal(reason, record.refusal_detail);
}

db::OutgoingEvent event_of(const std::string& name, const google::protobuf::Message& payload) {
  return {service::event_subject("trust", name), payload.GetTypeName(),
          payload.SerializeAsString()};
}

std::vector<FactTriple> held(const std::optional<CredentialRecord>& record) {
  if (!record || record->state != CredentialState::kAccepted) return {};
  return record->facts;
}

// facts_changed per subject whose facts differ between the two versions of one credential.
std::vector<db::OutgoingEvent> fact_events(const std::optional<CredentialRecord>& previous,
                                           const CredentialRecord& next, const std::string& cause) {
  std::vector<db::OutgoingEvent> events;
  for (const FactChange& change : fact_changes(held(previous), held(CredentialRecord(next)))) {
    v1::FactsChanged payload;
    payload.set_subject(change.subject);
    payload.set_cause(cause);
    payload.set_credential(next.id);
    auto fill = [&next](const FactTriple& triple, v1::Fact* out) {
      to_proto(HeldFact{triple, next.id, next.issuer, next.valid_until}, out);
    };
    for (const auto& fact : change.added) fill(fact, payload.add_added());
    for (const auto& fact : change.removed) fill(fact, payload.add_removed());
    events.push_back(event_of("facts_changed", payload));
  }
  return events;
}

std::string cause_of(const CredentialRecord& record) {
  switch (record.state) {
    case CredentialState::kAccepted:
      return "credential_accepted";
    case CredentialState::kRevoked:
      return "credential_revoked";
    case CredentialState::kExpired:
      return "credential_expired";
    case CredentialState::kUntrusted:
      return "anchors_changed";
    case CredentialState::kRefused:
      return "credential_withdrawn";
  }
  return "credential_withdrawn";
}

std::string lower(std::string_view name) {
  std::string out(name);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// A row for a credential a manifest points to that did not verify: kept so that GET
// /v1/credentials?subject= says why the claim stays a claim.
CredentialRecord refused_record(const std::string& token, const std::string& url,
                                const std::string& subject, const Status& why) {
  CredentialRecord record;
  record.id = digest::sha256_hex(token.empty() ? url : token);
  record.token = token;
  record.subject = subject;
  record.claims = nlohmann::json::object();
  record.state = CredentialState::kRefused;
  record.refusal = lower(why.detail("reason"));
  if (record.refusal.empty()) record.refusal = "malformed";
  record.refusal_detail = why.message();
  record.source_url = url;
  return record;
}

}  // namespace

std::shared_ptr<const AnchorSet> AnchorHolder::current() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return anchors_;
}

void AnchorHolder::replace(AnchorSet anchors) {
  auto next = std::make_shared<const AnchorSet>(std::move(anchors));
  std::lock_guard<std::mutex> lock(mutex_);
  anchors_ = std::move(next);
}

Result<CredentialRecord> TrustService::evaluate(const std::string& token, const ClaimContext* claim,
                                                const v1::SubmitCredentialRequest* request,
                                                int64_t now) {
  if (token.size() > options_.max_token_bytes) {
    return refusal(Refusal::kTooLarge, "the credential has " + std::to_string(token.size()) +
                                           " bytes; this hub takes at most " +
                                           std::to_string(options_.max_token_bytes));
  }
  credentials::VerifyOptions verify_options;
  verify_options.now = now;
  verify_options.clock_skew = options_.clock_skew_seconds;
  verify_options.max_token_bytes = options_.max_token_bytes;
  verify_options.expected_audience = options_.audience;
  if (request) {
    verify_options.expected_nonce = request->nonce();
    if (!request->audience().empty()) verify_options.expected_audience = request->audience();
  }
  credentials::CredentialVerifier verifier(keys_, verify_options);
  MPLI_ASSIGN_OR_RETURN(credentials::VerifiedCredential verified,
                        verifier.verify_credential(token));
  MPLI_ASSIGN_OR_RETURN(CredentialReading reading, read_facts(verified, claim));
  if (request && !request->expected_subject().empty() &&
      reading.subject != request->expected_subject()) {
    return refusal(Refusal::kSubjectMismatch, "the credential is about '" + reading.subject +
                                                  "', not '" + request->expected_subject() + "'");
  }
  CredentialRecord record = record_of(digest::sha256_hex(token), token, verified, reading);
  bool revoked = false;
  if (verified.status) {
    MPLI_ASSIGN_OR_RETURN(revoked, status_.is_set(*verified.status, verified.issuer, now));
  }
  Judgement judgement =
      judge(record, *anchors_.current(), now, options_.clock_skew_seconds, revoked);
  record.state = judgement.state;
  record.refusal = judgement.refusal;
  record.refusal_detail = judgement.detail;
  record.received_at = now;
  record.checked_at = now;
  return record;
}

Status TrustService::save(const CredentialRecord& record, const std::string& cause) {
  return store_.save(
      record,
      [&cause](const std::optional<CredentialRecord>& previous,
               const CredentialRecord& next) -> Result<std::vector<db::OutgoingEvent>> {
        return fact_events(previous, next, cause.empty() ? cause_of(next) : cause);
      });
}

Result<CredentialRecord> TrustService::verify(const v1::SubmitCredentialRequest& request,
                                              int64_t now) {
  MPLI_ASSIGN_OR_RETURN(CredentialRecord record, evaluate(request.token(), nullptr, &request, now));
  if (record.state != CredentialState::kAccepted) return judged_refusal(record);
  return record;
}

Result<CredentialRecord> TrustService::submit(const v1::SubmitCredentialRequest& request,
                                              int64_t now) {
  MPLI_ASSIGN_OR_RETURN(CredentialRecord record, verify(request, now));
  record.source = request.source().empty() ? "consumer" : request.source();
  MPLI_RETURN_IF_ERROR(save(record, ""));
  return record;
}

Result<std::vector<CredentialRecord>> TrustService::list(const std::string& subject, int limit) {
  return store_.by_subject(subject, limit);
}

Result<std::vector<HeldFact>> TrustService::facts(const std::string& subject) {
  return store_.facts_about(subject);
}

Result<std::vector<HeldFact>> TrustService::export_facts(const std::string& cursor, int limit,
                                                         std::string* next) {
  return store_.facts_page(cursor, limit, next);
}

Result<AnchorsOutcome> TrustService::put_anchors(const AnchorSet& prepared,
                                                 int64_t expected_version, int64_t now) {
  MPLI_ASSIGN_OR_RETURN(AnchorSet stored, store_.put_anchors(prepared, expected_version));
  stored.anchors = prepared.anchors;  // keeps the fingerprints the store does not hold
  anchors_.replace(stored);
  AnchorsOutcome outcome;
  outcome.anchors = stored;
  // Re-judging needs no new fetch: the signature, issuer and chain root were established when
  // the credential arrived; only whether the hub trusts them changed.
  MPLI_ASSIGN_OR_RETURN(auto candidates, store_.judged_by_anchors());
  for (CredentialRecord& record : candidates) {
    ++outcome.reevaluated;
    Judgement judgement = judge(record, stored, now, options_.clock_skew_seconds, false);
    if (judgement.state == record.state) continue;
    bool was_accepted = record.state == CredentialState::kAccepted;
    record.state = judgement.state;
    record.refusal = judgement.refusal;
    record.refusal_detail = judgement.detail;
    record.checked_at = now;
    MPLI_RETURN_IF_ERROR(save(record, "anchors_changed"));
    int count = static_cast<int>(record.facts.size());
    if (was_accepted) outcome.facts_lost += count;
    if (record.state == CredentialState::kAccepted) outcome.facts_gained += count;
  }
  log::info("trust anchors replaced", {{"version", std::to_string(stored.version)},
                                       {"reevaluated", std::to_string(outcome.reevaluated)},
                                       {"facts_gained", std::to_string(outcome.facts_gained)},
                                       {"facts_lost", std::to_string(outcome.facts_lost)}});
  return outcome;
}

Result<IssueOutcome> TrustService::issue(const std::string& credential_json,
                                         const std::string& valid_until, int64_t now) {
  if (!issuer_) {
    return Status(StatusCode::kFailedPrecondition,
                  "this hub has no issuing key (set issuer.key_file on the trust service)",
                  {{"reason", "ISSUING_DISABLED"}, {"domain", "trust"}});
  }
  auto bad_request = [](const std::string& field, const std::string& message) {
    return Status(StatusCode::kInvalidArgument, field + ": " + message,
                  {{"reason", "BAD_ISSUE_REQUEST"}, {"domain", "trust"}, {"field", field}});
  };
  auto credential = nlohmann::json::parse(credential_json, nullptr, false);
  if (!credential.is_object()) return bad_request("credential", "must be a JSON object");
  auto subject = credential.find("credentialSubject");
  if (subject == credential.end() || !(subject->is_object() || subject->is_array())) {
    return bad_request("credential.credentialSubject", "required: an object");
  }
  if (credential.contains("proof")) {
    return bad_request("credential.proof", "the hub secures the credential itself (as vc+jwt)");
  }
  if (!valid_until.empty()) credential["validUntil"] = valid_until;
  MPLI_ASSIGN_OR_RETURN(std::string token, issuer_->issue(std::move(credential), now));
  log::info("credential issued", {{"issuer", issuer_->issuer_id()}});
  return IssueOutcome{token, issuer_->issuer_id()};
}

Status TrustService::apply_manifest(const discovery::v1::ManifestIngested& event, int64_t now) {
  std::string source = "manifest:" + event.provider_id();
  MPLI_ASSIGN_OR_RETURN(auto previous, store_.by_source(source));
  std::set<std::string> kept_ids;
  std::set<std::string> unreachable_urls;
  Status transient = Status::ok();
  for (const auto& pointer : event.credentials()) {
    ClaimContext claim;
    claim.subject = pointer.subject();
    claim.provider_domain = event.provider_domain();
    claim.claim = pointer.claim();
    claim.standard = pointer.standard();
    if (pointer.claim() == "service_level" && pointer.availability_percent() > 0) {
      claim.availability_percent = pointer.availability_percent();
    }
    auto token = source_.fetch(pointer.url());
    CredentialRecord record;
    if (!token.is_ok()) {
      if (token.status().code() == StatusCode::kUnavailable ||
          token.status().code() == StatusCode::kDeadlineExceeded) {
        // The provider's server may be back soon: keep what we hold from this URL.
        unreachable_urls.insert(pointer.url());
        transient = token.status();
        continue;
      }
      record = refused_record("", pointer.url(), pointer.subject(), token.status());
    } else {
      auto evaluated = evaluate(*token, &claim, nullptr, now);
      if (!evaluated.is_ok() && evaluated.status().code() == StatusCode::kUnavailable) {
        unreachable_urls.insert(pointer.url());
        transient = evaluated.status();
        continue;
      }
      record = evaluated.is_ok()
                   ? *evaluated
                   : refused_record(*token, pointer.url(), pointer.subject(), evaluated.status());
    }
    record.source = source;
    record.source_url = pointer.url();
    if (record.received_at == 0) record.received_at = now;
    kept_ids.insert(record.id);
    MPLI_RETURN_IF_ERROR(save(record, ""));
    if (record.state != CredentialState::kAccepted) {
      log::info("manifest credential not accepted", {{"provider", event.provider_id()},
                                                     {"url", pointer.url()},
                                                     {"reason", record.refusal},
                                                     {"detail", record.refusal_detail}});
    }
  }
  // What the manifest no longer points to (or now points to in another version) proves nothing
  // any more: its facts go.
  for (CredentialRecord& old : previous) {
    if (kept_ids.count(old.id) || unreachable_urls.count(old.source_url)) continue;
    if (old.state == CredentialState::kRefused && old.refusal == "withdrawn") continue;
    old.state = CredentialState::kRefused;
    old.refusal = "withdrawn";
    old.refusal_detail = "the provider's manifest no longer points to this credential";
    old.checked_at = now;
    MPLI_RETURN_IF_ERROR(save(old, "credential_withdrawn"));
  }
  return transient;
}

Result<int> TrustService::recheck(int64_t now, int batch) {
  MPLI_ASSIGN_OR_RETURN(auto due, store_.accepted_to_recheck(now, batch));
  int changed = 0;
  for (CredentialRecord& record : due) {
    bool revoked = false;
    if (record.status) {
      auto bit = status_.is_set(*record.status, record.issuer, now);
      if (!bit.is_ok()) continue;  // keep the last known state until the list is back
      revoked = *bit;
    }
    Judgement judgement =
        judge(record, *anchors_.current(), now, options_.clock_skew_seconds, revoked);
    if (judgement.state == record.state) continue;
    record.state = judgement.state;
    record.refusal = judgement.refusal;
    record.refusal_detail = judgement.detail;
    record.checked_at = now;
    MPLI_RETURN_IF_ERROR(save(record, ""));
    ++changed;
  }
  return changed;
}

void to_proto(const CredentialRecord& record, v1::Credential* out) {
  out->set_id(record.id);
  out->set_credential_id(record.credential_id);
  out->set_format(record.format);
  out->set_issuer(record.issuer);
  for (const auto& type : record.types) out->add_types(type);
  out->set_subject(record.subject);
  out->set_valid_from(rfc3339(record.valid_from));
  out->set_valid_until(rfc3339(record.valid_until));
  out->set_state(std::string(state_name(record.state)));
  out->set_refusal(record.refusal);
  out->set_refusal_detail(record.refusal_detail);
  out->set_kind(record.kind);
  out->set_claims_json(record.claims.dump());
  if (record.state == CredentialState::kAccepted) {
    for (const auto& fact : record.facts) {
      to_proto(HeldFact{fact, record.id, record.issuer, record.valid_until}, out->add_facts());
    }
  }
  out->set_source(record.source);
  out->set_received_at(rfc3339(record.received_at));
  out->set_checked_at(rfc3339(record.checked_at));
  out->set_trust_root(record.trust_root);
  if (record.status) out->set_status_list(record.status->list_credential);
  out->set_source_url(record.source_url);
}

void to_proto(const HeldFact& fact, v1::Fact* out) {
  out->set_subject(fact.triple.subject);
  out->set_predicate(fact.triple.predicate);
  out->set_object(fact.triple.object);
  out->set_object_is_literal(fact.triple.object_is_literal);
  out->set_datatype(fact.triple.datatype);
  out->set_credential(fact.credential);
  out->set_issuer(fact.issuer);
  out->set_valid_until(rfc3339(fact.valid_until));
}

void to_proto(const AnchorSet& anchors, v1::TrustAnchors* out) {
  out->set_version(anchors.version);
  for (const auto& anchor : anchors.anchors) {
    auto* entry = out->add_anchors();
    entry->set_credential_type(anchor.credential_type);
    for (const auto& issuer : anchor.issuers) entry->add_issuers(issuer);
    for (const auto& pem : anchor.root_certificates) entry->add_root_certificates(pem);
    entry->set_label(anchor.label);
  }
}

AnchorSet from_proto(const v1::TrustAnchors& anchors) {
  AnchorSet set;
  set.version = anchors.version();
  for (const auto& entry : anchors.anchors()) {
    TrustAnchor anchor;
    anchor.credential_type = entry.credential_type();
    anchor.issuers.assign(entry.issuers().begin(), entry.issuers().end());
    anchor.root_certificates.assign(entry.root_certificates().begin(),
                                    entry.root_certificates().end());
    anchor.label = entry.label();
    set.anchors.push_back(std::move(anchor));
  }
  return set;
}

}  // namespace mpli::trust
