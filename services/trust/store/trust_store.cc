#include "services/trust/store/trust_store.h"

#include <pqxx/pqxx>

#include "libs/db/prepared.h"

namespace mpli::trust {
namespace sql {

constexpr const char* kColumns =
    "id, token, credential_id, format, issuer, types::text, kind, subject, "
    "extract(epoch from valid_from)::bigint, extract(epoch from valid_until)::bigint, "
    "status_list, status_index, status_purpose, trust_root, claims::text, facts::text, state, "
    "refusal, refusal_detail, source, source_url, extract(epoch from received_at)::bigint, "
    "extract(epoch from checked_at)::bigint";

constexpr const char* kUpsert = R"(
INSERT INTO trust.credentials (id, token, credential_id, format, issuer, types, kind, subject,
  valid_from, valid_until, status_list, status_index, status_purpose, trust_root, claims, facts,
  state, refusal, refusal_detail, source, source_url, checked_at)
VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, to_timestamp($9::double precision),
  to_timestamp($10::double precision), $11, $12, $13, $14, $15::jsonb, $16::jsonb, $17, $18, $19,
  $20, $21, now())
ON CONFLICT (id) DO UPDATE SET state = EXCLUDED.state, refusal = EXCLUDED.refusal,
  refusal_detail = EXCLUDED.refusal_detail, facts = EXCLUDED.facts, kind = EXCLUDED.kind,
  subject = EXCLUDED.subject, source = EXCLUDED.source, source_url = EXCLUDED.source_url,
  checked_at = now())";

constexpr const char* kDeleteFacts = "DELETE FROM trust.facts WHERE credential = $1";
constexpr const char* kInsertFact =
    "INSERT INTO trust.facts (credential, subject, predicate, object, object_is_literal, datatype) "
    "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING";

constexpr const char* kFactColumns =
    "f.subject, f.predicate, f.object, f.object_is_literal, f.datatype, f.credential, c.issuer, "
    "extract(epoch from c.valid_until)::bigint";

constexpr const char* kAnchors = "SELECT version, document::text FROM trust.trust_anchors";
constexpr const char* kLockAnchors = "SELECT version FROM trust.trust_anchors FOR UPDATE";
constexpr const char* kPutAnchors = R"(
INSERT INTO trust.trust_anchors (singleton, version, document) VALUES (true, $1, $2::jsonb)
ON CONFLICT (singleton) DO UPDATE SET version = EXCLUDED.version, document = EXCLUDED.document,
  changed_at = now())";

}  // namespace sql

namespace {

std::optional<int64_t> optional_int(const pqxx::field& field) {
  if (field.is_null()) return std::nullopt;
  return field.as<int64_t>();
}

CredentialRecord record_from_row(const pqxx::row& row) {
  CredentialRecord r;
  r.id = row[0].as<std::string>();
  r.token = row[1].as<std::string>();
  r.credential_id = row[2].as<std::string>();
  r.format = row[3].as<std::string>();
  r.issuer = row[4].as<std::string>();
  auto types = nlohmann::json::parse(row[5].as<std::string>(), nullptr, false);
  if (types.is_array()) {
    for (const auto& t : types) {
      if (t.is_string()) r.types.push_back(t.get<std::string>());
    }
  }
  r.kind = row[6].as<std::string>();
  r.subject = row[7].as<std::string>();
  r.valid_from = optional_int(row[8]);
  r.valid_until = optional_int(row[9]);
  if (!row[10].as<std::string>().empty()) {
    credentials::StatusReference status;
    status.list_credential = row[10].as<std::string>();
    status.index = row[11].is_null() ? 0 : row[11].as<uint64_t>();
    status.purpose = row[12].as<std::string>();
    r.status = status;
  }
  r.trust_root = row[13].as<std::string>();
  r.claims = nlohmann::json::parse(row[14].as<std::string>(), nullptr, false);
  r.facts = facts_from_json(nlohmann::json::parse(row[15].as<std::string>(), nullptr, false));
  r.state = state_from_name(row[16].as<std::string>());
  r.refusal = row[17].as<std::string>();
  r.refusal_detail = row[18].as<std::string>();
  r.source = row[19].as<std::string>();
  r.source_url = row[20].as<std::string>();
  r.received_at = row[21].is_null() ? 0 : row[21].as<int64_t>();
  r.checked_at = row[22].is_null() ? 0 : row[22].as<int64_t>();
  return r;
}

HeldFact fact_from_row(const pqxx::row& row) {
  HeldFact fact;
  fact.triple = {row[0].as<std::string>(), row[1].as<std::string>(), row[2].as<std::string>(),
                 row[3].as<bool>(), row[4].as<std::string>()};
  fact.credential = row[5].as<std::string>();
  fact.issuer = row[6].as<std::string>();
  fact.valid_until = optional_int(row[7]);
  return fact;
}

std::optional<double> seconds(const std::optional<int64_t>& value) {
  if (!value) return std::nullopt;
  return static_cast<double>(*value);
}

std::vector<CredentialRecord> records(const pqxx::result& rows) {
  std::vector<CredentialRecord> out;
  out.reserve(rows.size());
  for (const auto& row : rows) out.push_back(record_from_row(row));
  return out;
}

}  // namespace

Status TrustStore::save(const CredentialRecord& record, const EventPlanner& planner) {
  return pool_.transact([&](pqxx::work& tx) -> Status {
    std::optional<CredentialRecord> previous;
    auto rows = tx.exec_params(
        std::string("SELECT ") + sql::kColumns + " FROM trust.credentials WHERE id = $1 FOR UPDATE",
        record.id);
    if (!rows.empty()) previous = record_from_row(rows[0]);
    MPLI_ASSIGN_OR_RETURN(auto events, planner(previous, record));
    std::optional<std::string> status_list;
    std::optional<int64_t> status_index;
    std::string status_purpose;
    if (record.status) {
      status_list = record.status->list_credential;
      status_index = static_cast<int64_t>(record.status->index);
      status_purpose = record.status->purpose;
    }
    tx.exec_params(sql::kUpsert, record.id, record.token, record.credential_id, record.format,
                   record.issuer, nlohmann::json(record.types).dump(), record.kind, record.subject,
                   seconds(record.valid_from), seconds(record.valid_until),
                   status_list.value_or(""), status_index, status_purpose, record.trust_root,
                   record.claims.dump(), facts_to_json(record.facts).dump(),
                   std::string(state_name(record.state)), record.refusal, record.refusal_detail,
                   record.source, record.source_url);
    tx.exec_params(sql::kDeleteFacts, record.id);
    if (record.state == CredentialState::kAccepted) {
      for (const auto& fact : record.facts) {
        tx.exec_params(sql::kInsertFact, record.id, fact.subject, fact.predicate, fact.object,
                       fact.object_is_literal, fact.datatype);
      }
    }
    db::enqueue_events(tx, "trust", "trust", events);
    return Status::ok();
  });
}

Result<std::optional<CredentialRecord>> TrustStore::find(const std::string& id) {
  return pool_.transact([&](pqxx::work& tx) -> Result<std::optional<CredentialRecord>> {
    auto rows = tx.exec_params(
        std::string("SELECT ") + sql::kColumns + " FROM trust.credentials WHERE id = $1", id);
    if (rows.empty()) return std::optional<CredentialRecord>();
    return std::optional<CredentialRecord>(record_from_row(rows[0]));
  });
}

Result<std::vector<CredentialRecord>> TrustStore::by_subject(const std::string& subject,
                                                             int limit) {
  return pool_.transact([&](pqxx::work& tx) -> Result<std::vector<CredentialRecord>> {
    return records(tx.exec_params(std::string("SELECT ") + sql::kColumns +
                                      " FROM trust.credentials WHERE subject = $1 "
                                      "ORDER BY received_at DESC, id LIMIT $2",
                                  subject, limit));
  });
}

Result<std::vector<CredentialRecord>> TrustStore::by_source(const std::string& source) {
  return pool_.transact([&](pqxx::work& tx) -> Result<std::vector<CredentialRecord>> {
    return records(tx.exec_params(std::string("SELECT ") + sql::kColumns +
                                      " FROM trust.credentials WHERE source = $1 ORDER BY id",
                                  source));
  });
}

Result<std::vector<CredentialRecord>> TrustStore::judged_by_anchors() {
  return pool_.transact([&](pqxx::work& tx) -> Result<std::vector<CredentialRecord>> {
    return records(
        tx.exec(std::string("SELECT ") + sql::kColumns +
                " FROM trust.credentials WHERE state IN ('accepted', 'untrusted') ORDER BY id"));
  });
}

Result<std::vector<CredentialRecord>> TrustStore::accepted_to_recheck(int64_t expiring_before,
                                                                      int limit) {
  return pool_.transact([&](pqxx::work& tx) -> Result<std::vector<CredentialRecord>> {
    return records(tx.exec_params(
        std::string("SELECT ") + sql::kColumns +
            " FROM trust.credentials WHERE state = 'accepted' AND (valid_until < "
            "to_timestamp($1::double precision) OR status_list <> '') ORDER BY checked_at LIMIT $2",
        static_cast<double>(expiring_before), limit));
  });
}

Result<std::vector<HeldFact>> TrustStore::facts_about(const std::string& subject) {
  return pool_.transact([&](pqxx::work& tx) -> Result<std::vector<HeldFact>> {
    std::vector<HeldFact> out;
    for (const auto& row :
         // Asked by the resolver for every resolution: prepared once per connection.
         db::exec_prepared(
             tx,
             std::string("SELECT ") + sql::kFactColumns +
                 " FROM trust.facts f JOIN trust.credentials c ON c.id = f.credential "
                 "WHERE f.subject = $1 ORDER BY f.predicate, f.object, f.credential",
             subject)) {
      out.push_back(fact_from_row(row));
    }
    return out;
  });
}

Result<std::vector<HeldFact>> TrustStore::facts_page(const std::string& after, int limit,
                                                     std::string* next) {
  // The key is the last row's (subject, predicate, object, credential) as a JSON array: stable
  // under inserts and deletes, unlike an offset.
  std::vector<std::string> key(4);
  if (!after.empty()) {
    auto parsed = nlohmann::json::parse(after, nullptr, false);
    if (!parsed.is_array() || parsed.size() != 4) {
      return Status(StatusCode::kInvalidArgument, "cursor: not one this service issued",
                    {{"reason", "MALFORMED"}, {"domain", "trust"}, {"field", "cursor"}});
    }
    for (size_t i = 0; i < 4; ++i) {
      if (!parsed[i].is_string()) {
        return Status(StatusCode::kInvalidArgument, "cursor: not one this service issued",
                      {{"reason", "MALFORMED"}, {"domain", "trust"}, {"field", "cursor"}});
      }
      key[i] = parsed[i].get<std::string>();
    }
  }
  return pool_.transact([&](pqxx::work& tx) -> Result<std::vector<HeldFact>> {
    std::vector<HeldFact> out;
    auto rows = tx.exec_params(
        std::string("SELECT ") + sql::kFactColumns +
            " FROM trust.facts f JOIN trust.credentials c ON c.id = f.credential "
            "WHERE $1 = '' OR (f.subject, f.predicate, f.object, f.credential) > ($2, $3, $4, $5) "
            "ORDER BY f.subject, f.predicate, f.object, f.credential LIMIT $6",
        after, key[0], key[1], key[2], key[3], limit + 1);
    for (const auto& row : rows) out.push_back(fact_from_row(row));
    next->clear();
    if (out.size() > static_cast<size_t>(limit)) {
      out.resize(static_cast<size_t>(limit));
      const HeldFact& last = out.back();
      *next = nlohmann::json::array(
                  {last.triple.subject, last.triple.predicate, last.triple.object, last.credential})
                  .dump();
    }
    return out;
  });
}

Result<std::optional<AnchorSet>> TrustStore::anchors() {
  return pool_.transact([&](pqxx::work& tx) -> Result<std::optional<AnchorSet>> {
    auto rows = tx.exec(sql::kAnchors);
    if (rows.empty()) return std::optional<AnchorSet>();
    auto document = nlohmann::json::parse(rows[0][1].as<std::string>(), nullptr, false);
    MPLI_ASSIGN_OR_RETURN(AnchorSet set, anchors_from_json(document));
    set.version = rows[0][0].as<int64_t>();
    return std::optional<AnchorSet>(std::move(set));
  });
}

Result<AnchorSet> TrustStore::put_anchors(const AnchorSet& anchors, int64_t expected_version) {
  return pool_.transact([&](pqxx::work& tx) -> Result<AnchorSet> {
    auto rows = tx.exec(sql::kLockAnchors);
    int64_t current = rows.empty() ? 0 : rows[0][0].as<int64_t>();
    if (expected_version != 0 && expected_version != current) {
      return Status(StatusCode::kConflict,
                    "the anchors are at version " + std::to_string(current) + ", not " +
                        std::to_string(expected_version) + ": read them again",
                    {{"reason", "ANCHORS_CHANGED"}, {"domain", "trust"}});
    }
    AnchorSet stored = anchors;
    stored.version = current + 1;
    tx.exec_params(sql::kPutAnchors, stored.version, anchors_to_json(stored).dump());
    return stored;
  });
}

}  // namespace mpli::trust
