#include "services/trust/domain/credential_record.h"

#include <algorithm>
#include <map>

namespace mpli::trust {

std::string_view state_name(CredentialState state) {
  switch (state) {
    case CredentialState::kAccepted:
      return "accepted";
    case CredentialState::kUntrusted:
      return "untrusted";
    case CredentialState::kRevoked:
      return "revoked";
    case CredentialState::kExpired:
      return "expired";
    case CredentialState::kRefused:
      return "refused";
  }
  return "refused";
}

CredentialState state_from_name(std::string_view name) {
  for (auto state : {CredentialState::kAccepted, CredentialState::kUntrusted,
                     CredentialState::kRevoked, CredentialState::kExpired}) {
    if (state_name(state) == name) return state;
  }
  return CredentialState::kRefused;
}

CredentialRecord record_of(const std::string& id, const std::string& token,
                           const credentials::VerifiedCredential& verified,
                           const CredentialReading& reading) {
  CredentialRecord record;
  record.id = id;
  record.token = token;
  record.credential_id = verified.id;
  record.format = verified.format;
  record.issuer = verified.issuer;
  record.types = verified.types;
  record.kind = reading.kind;
  record.subject = reading.subject;
  record.valid_from = verified.valid_from;
  record.valid_until = verified.valid_until;
  record.status = verified.status;
  record.trust_root = verified.trust_root;
  record.claims = verified.credential;
  record.facts = reading.facts;
  return record;
}

Judgement judge(const CredentialRecord& record, const AnchorSet& anchors, int64_t now,
                int64_t skew_seconds, bool revoked) {
  if (revoked) {
    return {CredentialState::kRevoked, "revoked", "its status list marks it revoked"};
  }
  if (record.valid_until && *record.valid_until + skew_seconds < now) {
    return {CredentialState::kExpired, "expired", "its validity period has ended"};
  }
  bool trusted = false;
  if (!record.kind.empty()) {
    trusted = anchors.accepts(record.kind, record.issuer, record.trust_root);
  } else {
    for (const auto& type : record.types) {
      trusted = trusted || anchors.accepts(type, record.issuer, record.trust_root);
    }
    trusted = trusted || anchors.accepts("*", record.issuer, record.trust_root);
  }
  if (!trusted) {
    std::string type = record.kind.empty() ? "its types" : "<" + record.kind + ">";
    return {CredentialState::kUntrusted, "untrusted_issuer",
            "no trust anchor accepts issuer '" + record.issuer + "' for " + type};
  }
  return {CredentialState::kAccepted, "", ""};
}

std::vector<FactChange> fact_changes(const std::vector<FactTriple>& before,
                                     const std::vector<FactTriple>& after) {
  std::map<std::string, FactChange> by_subject;
  auto sorted = [](std::vector<FactTriple> facts) {
    std::sort(facts.begin(), facts.end());
    facts.erase(std::unique(facts.begin(), facts.end()), facts.end());
    return facts;
  };
  std::vector<FactTriple> old_facts = sorted(before);
  std::vector<FactTriple> new_facts = sorted(after);
  std::vector<FactTriple> added;
  std::vector<FactTriple> removed;
  std::set_difference(new_facts.begin(), new_facts.end(), old_facts.begin(), old_facts.end(),
                      std::back_inserter(added));
  std::set_difference(old_facts.begin(), old_facts.end(), new_facts.begin(), new_facts.end(),
                      std::back_inserter(removed));
  for (auto& fact : added) {
    auto& change = by_subject[fact.subject];
    change.subject = fact.subject;
    change.added.push_back(fact);
  }
  for (auto& fact : removed) {
    auto& change = by_subject[fact.subject];
    change.subject = fact.subject;
    change.removed.push_back(fact);
  }
  std::vector<FactChange> out;
  out.reserve(by_subject.size());
  for (auto& [subject, change] : by_subject) out.push_back(std::move(change));
  return out;
}

nlohmann::json facts_to_json(const std::vector<FactTriple>& facts) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& fact : facts) {
    out.push_back({{"s", fact.subject},
                   {"p", fact.predicate},
                   {"o", fact.object},
                   {"literal", fact.object_is_literal},
                   {"datatype", fact.datatype}});
  }
  return out;
}

std::vector<FactTriple> facts_from_json(const nlohmann::json& document) {
  std::vector<FactTriple> out;
  if (!document.is_array()) return out;
  for (const auto& item : document) {
    if (!item.is_object()) continue;
    out.push_back({item.value("s", ""), item.value("p", ""), item.value("o", ""),
                   item.value("literal", false), item.value("datatype", "")});
  }
  return out;
}

}  // namespace mpli::trust
