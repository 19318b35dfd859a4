// TrustService: the trust service's use cases over its store, keys, status lists and anchors:
// verify, submit, list, facts, anchors (with re-judging of stored credentials), issuing, the
// credentials a provider manifest points to, and the periodic expiry/revocation check. Each
// change is saved with the facts_changed events that report it, in one transaction.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "libs/core/status.h"
#include "libs/credentials/key_resolver.h"
#include "mpli/discovery/v1/discovery.pb.h"
#include "mpli/trust/v1/trust.pb.h"
#include "services/trust/domain/anchor_policy.h"
#include "services/trust/domain/credential_record.h"
#include "services/trust/store/trust_store.h"

namespace mpli::trust {

// Where a status list bit comes from (fetched, verified and cached by StatusLists).
class StatusSource {
 public:
  virtual ~StatusSource() = default;
  // True when the bit of `reference` is set. The list credential must be issued by `issuer`.
  // kUnavailable (STATUS_UNAVAILABLE) when the list cannot be fetched or verified now.
  virtual Result<bool> is_set(const credentials::StatusReference& reference,
                              const std::string& issuer, int64_t now) = 0;
};

// Where the credentials a manifest points to come from (an HTTPS fetch with discovery's guards).
class CredentialSource {
 public:
  virtual ~CredentialSource() = default;
  virtual Result<std::string> fetch(const std::string& url) = 0;
};

// The hub's own issuing key, when configured.
class Issuer {
 public:
  virtual ~Issuer() = default;
  virtual const std::string& issuer_id() const = 0;
  // Signs `credential` (issuer and validFrom set here) as a vc+jwt.
  virtual Result<std::string> issue(nlohmann::json credential, int64_t now) const = 0;
};

// The anchors in force, shared by the key resolver (its x5c roots) and the judging. Replaced
// whole on a change; readers copy the shared pointer.
class AnchorHolder {
 public:
  std::shared_ptr<const AnchorSet> current() const;
  void replace(AnchorSet anchors);

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const AnchorSet> anchors_ = std::make_shared<AnchorSet>();
};

struct TrustOptions {
  int64_t clock_skew_seconds = 60;
  size_t max_token_bytes = size_t{256} * 1024;
  std::string audience;  // expected `aud` of SD-JWT key binding JWTs
};

struct AnchorsOutcome {
  AnchorSet anchors;
  int reevaluated = 0;
  int facts_gained = 0;
  int facts_lost = 0;
};

struct IssueOutcome {
  std::string token;
  std::string issuer;
};

class TrustService {
 public:
  TrustService(TrustStore& store, const credentials::KeyResolver& keys, StatusSource& status,
               CredentialSource& source, AnchorHolder& anchors, const Issuer* issuer,
               TrustOptions options)
      : store_(store),
        keys_(keys),
        status_(status),
        source_(source),
        anchors_(anchors),
        issuer_(issuer),
        options_(std::move(options)) {}

  // Verifies and judges without keeping anything. A credential that is not accepted is an
  // error with its reason (UNTRUSTED_ISSUER, REVOKED, EXPIRED, ...).
  Result<CredentialRecord> verify(const v1::SubmitCredentialRequest& request, int64_t now);
  // The same, and keeps an accepted credential with its facts (facts_changed when they change).
  Result<CredentialRecord> submit(const v1::SubmitCredentialRequest& request, int64_t now);

  Result<std::vector<CredentialRecord>> list(const std::string& subject, int limit);
  Result<std::vector<HeldFact>> facts(const std::string& subject);
  Result<std::vector<HeldFact>> export_facts(const std::string& cursor, int limit,
                                             std::string* next);

  std::shared_ptr<const AnchorSet> anchors() const { return anchors_.current(); }
  // Stores the anchors (optimistically, against expected_version) and re-judges every accepted
  // and untrusted credential under them. `prepared` has its root fingerprints filled in.
  Result<AnchorsOutcome> put_anchors(const AnchorSet& prepared, int64_t expected_version,
                                     int64_t now);

  Result<IssueOutcome> issue(const std::string& credential_json, const std::string& valid_until,
                             int64_t now);

  // manifest_ingested: fetch, verify and keep every credential the manifest points to, and
  // withdraw those it no longer points to. Transient failures (a credential server down) leave
  // the credentials of that URL as they were and come back as kUnavailable so the event is
  // retried.
  Status apply_manifest(const discovery::v1::ManifestIngested& event, int64_t now);

  // Withdraws the facts of credentials that expired or were revoked since they were checked.
  // Returns how many changed state.
  Result<int> recheck(int64_t now, int batch);

 private:
  Result<CredentialRecord> evaluate(const std::string& token, const ClaimContext* claim,
                                    const v1::SubmitCredentialRequest* request, int64_t now);
  Status save(const CredentialRecord& record, const std::string& cause);

  TrustStore& store_;
  const credentials::KeyResolver& keys_;
  StatusSource& status_;
  CredentialSource& source_;
  AnchorHolder& anchors_;
  const Issuer* issuer_;
  TrustOptions options_;
};

// Proto mapping of the records, shared by the handlers and the events.
void to_proto(const CredentialRecord& record, v1::Credential* out);
void to_proto(const HeldFact& fact, v1::Fact* out);
void to_proto(const AnchorSet& anchors, v1::TrustAnchors* out);
AnchorSet from_proto(const v1::TrustAnchors& anchors);

}  // namespace mpli::trust
