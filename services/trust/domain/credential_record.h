// A credential as the hub keeps it, and the decisions about it: which state it is in under the
// current anchors and clock, and which facts appear or disappear when that state changes.
// Pure: the verification, the status list and the clock are inputs.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "libs/credentials/verified_credential.h"
#include "services/trust/domain/anchor_policy.h"
#include "services/trust/domain/fact_mapping.h"

namespace mpli::trust {

enum class CredentialState { kAccepted, kUntrusted, kRevoked, kExpired, kRefused };
std::string_view state_name(CredentialState state);
CredentialState state_from_name(std::string_view name);  // unknown names read as kRefused

// NOLINTNEXTLINE(bugprone-exception-escape): nlohmann::json member; its move does not throw
struct CredentialRecord {
  std::string id;  // sha256 hex of the token
  std::string token;
  std::string credential_id;
  std::string format;
  std::string issuer;
  std::vector<std::string> types;
  std::string kind;
  std::string subject;
  std::optional<int64_t> valid_from;
  std::optional<int64_t> valid_until;
  std::optional<credentials::StatusReference> status;
  std::string trust_root;
  nlohmann::json claims;
  std::vector<FactTriple> facts;  // what it gives while accepted
  CredentialState state = CredentialState::kRefused;
  std::string refusal;  // lower-case reason when not accepted
  std::string refusal_detail;
  std::string source;  // "consumer" or "manifest:<provider_id>"
  std::string source_url;
  int64_t received_at = 0;
  int64_t checked_at = 0;
};

CredentialRecord record_of(const std::string& id, const std::string& token,
                           const credentials::VerifiedCredential& verified,
                           const CredentialReading& reading);

struct Judgement {
  CredentialState state = CredentialState::kRefused;
  std::string refusal;  // "" when accepted, else e.g. "untrusted_issuer"
  std::string detail;
};

// The state a verified credential is in: revoked (its status list says so), expired (its
// validity ended more than `skew_seconds` before `now`), untrusted (no anchor accepts its
// issuer for its kind; a credential of no known kind is judged by its own types), or accepted.
Judgement judge(const CredentialRecord& record, const AnchorSet& anchors, int64_t now,
                int64_t skew_seconds, bool revoked);

// Facts gained and lost about one subject when one credential's state changes.
struct FactChange {
  std::string subject;
  std::vector<FactTriple> added;
  std::vector<FactTriple> removed;
};
std::vector<FactChange> fact_changes(const std::vector<FactTriple>& before,
                                     const std::vector<FactTriple>& after);

nlohmann::json facts_to_json(const std::vector<FactTriple>& facts);
std::vector<FactTriple> facts_from_json(const nlohmann::json& document);

}  // namespace mpli::trust
