// TrustStore: the trust schema in PostgreSQL as named SQL and row mapping. It decides nothing:
// the trust service judges credentials (domain/credential_record.h) and hands the store the new
// row and the events that report it, written in one transaction with the outbox.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "libs/core/status.h"
#include "libs/db/outbox.h"
#include "libs/db/pool.h"
#include "services/trust/domain/anchor_policy.h"
#include "services/trust/domain/credential_record.h"

namespace mpli::trust {

struct HeldFact {
  FactTriple triple;
  std::string credential;
  std::string issuer;
  std::optional<int64_t> valid_until;
};

// Given the stored row (if any), the events to publish with the change; a Status aborts it.
using EventPlanner = std::function<Result<std::vector<db::OutgoingEvent>>(
    const std::optional<CredentialRecord>& previous, const CredentialRecord& next)>;

class TrustStore {
 public:
  explicit TrustStore(db::Pool& pool) : pool_(pool) {}

  // Writes `record` (insert or update by id), its facts while it is accepted (none otherwise),
  // and the planned events, atomically. The previous row is read under a row lock.
  Status save(const CredentialRecord& record, const EventPlanner& planner);

  Result<std::optional<CredentialRecord>> find(const std::string& id);
  Result<std::vector<CredentialRecord>> by_subject(const std::string& subject, int limit);
  Result<std::vector<CredentialRecord>> by_source(const std::string& source);
  // Accepted and untrusted credentials: what an anchor change re-judges.
  Result<std::vector<CredentialRecord>> judged_by_anchors();
  // Accepted credentials whose validity ends before `before` (Unix seconds), or that have a
  // status list: what the periodic check looks at.
  Result<std::vector<CredentialRecord>> accepted_to_recheck(int64_t expiring_before, int limit);

  Result<std::vector<HeldFact>> facts_about(const std::string& subject);
  // Every fact in (subject, predicate, object, credential) order after `after` (an opaque key
  // from the previous page, "" first); `next` is "" on the last page.
  Result<std::vector<HeldFact>> facts_page(const std::string& after, int limit, std::string* next);

  // The anchors in force; nullopt before anything was stored.
  Result<std::optional<AnchorSet>> anchors();
  // Replaces the anchors when the stored version is `expected_version` (0: any), as version+1.
  // kConflict (reason ANCHORS_CHANGED) otherwise. Returns the stored set.
  Result<AnchorSet> put_anchors(const AnchorSet& anchors, int64_t expected_version);

 private:
  db::Pool& pool_;
};

}  // namespace mpli::trust
