#include "services/discovery/store/catalogue_store.h"

#include <nlohmann/json.hpp>

#include "libs/core/log.h"
#include "libs/db/outbox.h"
#include "libs/db/prepared.h"
#include "libs/service/runtime.h"
#include "services/discovery/domain/errors.h"

namespace mpli::discovery {
namespace {

constexpr const char* kSchema = "discovery";

// ---- Named SQL ------------------------------------------------------------------------------

namespace sql {

constexpr const char* kProviderById = "SELECT * FROM discovery.providers WHERE id = $1";
constexpr const char* kProviderByUrl = "SELECT * FROM discovery.providers WHERE manifest_url = $1";
constexpr const char* kLockProvider =
    "SELECT id, manifest_url, current_version, current_hash FROM discovery.providers "
    "WHERE id = $1 FOR UPDATE";
constexpr const char* kOtherProviderWithUrl =
    "SELECT id FROM discovery.providers WHERE manifest_url = $1 AND id <> $2";
constexpr const char* kVersionsNewestFirst =
    "SELECT id, hash, outcome FROM discovery.manifest_versions WHERE provider_id = $1 "
    "ORDER BY id DESC";
constexpr const char* kOfferingsOwnedByOthers =
    "SELECT id, provider_id FROM discovery.offerings WHERE id = ANY($1::text[]) AND "
    "provider_id <> $2 ORDER BY id";
constexpr const char* kInsertProvider =
    "INSERT INTO discovery.providers (id, manifest_url) VALUES ($1, $2)";
constexpr const char* kInsertAcceptedVersion =
    "INSERT INTO discovery.manifest_versions (provider_id, source_url, content, hash, ntriples, "
    "outcome) VALUES ($1, $2, $3, $4, $5, 'accepted') RETURNING id";
constexpr const char* kInsertRejectedVersion =
    "INSERT INTO discovery.manifest_versions (provider_id, source_url, content, hash, outcome, "
    "problem) VALUES ($1, $2, $3, $4, 'rejected', $5::jsonb)";
constexpr const char* kDeleteVersions =
    "DELETE FROM discovery.manifest_versions WHERE id = ANY($1::bigint[])";
constexpr const char* kServeVersion =
    "UPDATE discovery.providers SET name = $2, country = $3, current_version = $4, "
    "current_hash = $5, etag = $6, last_modified = $7, fetched_at = now(), last_error = NULL, "
    "consecutive_failures = 0, next_refresh_at = CASE WHEN $8 > 0 THEN now() + "
    "make_interval(secs => $8 / 1000.0) END WHERE id = $1";
constexpr const char* kFetchedUnchanged =
    "UPDATE discovery.providers SET etag = $2, last_modified = $3, fetched_at = now(), "
    "last_error = NULL, consecutive_failures = 0, next_refresh_at = CASE WHEN $4 > 0 "
    "THEN now() + make_interval(secs => $4 / 1000.0) END WHERE id = $1";
// The validators (ETag, Last-Modified) stay those of the served version: were they the
// rejected body's, the next refresh would get a 304 and take the broken version for the
// served one ("unchanged", failures reset).
constexpr const char* kRecordRejection =
    "UPDATE discovery.providers SET last_error = $2, consecutive_failures = "
    "consecutive_failures + 1, next_refresh_at = CASE WHEN $3 > 0 THEN now() + "
    "make_interval(secs => $3 / 1000.0) END WHERE id = $1";
constexpr const char* kRecordFetchFailure =
    "UPDATE discovery.providers SET last_error = $2, consecutive_failures = "
    "consecutive_failures + 1, next_refresh_at = now() + make_interval(secs => $3 / 1000.0) "
    "WHERE id = $1";
constexpr const char* kDeleteOfferings =
    "DELETE FROM discovery.offerings WHERE id = ANY($1::text[])";
constexpr const char* kClaimDue =
    "UPDATE discovery.providers SET next_refresh_at = now() + make_interval(secs => $2 / "
    "1000.0) WHERE id IN (SELECT id FROM discovery.providers WHERE manifest_url IS NOT NULL "
    "AND next_refresh_at <= now() ORDER BY next_refresh_at LIMIT $1 FOR UPDATE SKIP LOCKED) "
    "RETURNING id, manifest_url, etag, last_modified, current_hash, consecutive_failures";
constexpr const char* kReleaseClaims =
    "UPDATE discovery.providers SET next_refresh_at = now() WHERE id = ANY($1::text[])";
constexpr const char* kOfferingIdsOfProvider =
    "SELECT id FROM discovery.offerings WHERE provider_id = $1 ORDER BY id";
constexpr const char* kDeleteProvider = "DELETE FROM discovery.providers WHERE id = $1";
constexpr const char* kOfferingColumns =
    "id, provider_id, name, kind, countries, regions, vcpu, memory_gib, storage_gib, "
    "price_amount, price_currency, price_unit, monthly_price, certifications, "
    "availability_percent, content_hash, kind_iri, kind_version, "
    "(SELECT coalesce(json_agg(json_build_array(p.iri, p.name, p.text, p.number) ORDER BY "
    "p.position), '[]') FROM discovery.offering_properties p WHERE p.offering_id = "
    "offerings.id) AS properties";
constexpr const char* kProviderSelect =
    "SELECT p.id, p.name, p.country, p.manifest_url, p.current_version, p.current_hash, "
    "to_char(p.fetched_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS fetched_at, "
    "p.last_error, p.consecutive_failures, "
    "to_char(p.registered_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS "
    "registered_at, "
    "to_char(p.next_refresh_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS "
    "next_refresh_at, "
    "(SELECT count(*) FROM discovery.offerings o WHERE o.provider_id = p.id) AS offering_count "
    "FROM discovery.providers p";
constexpr const char* kDocumentChunks =
    "SELECT p.id, CASE WHEN p.id = $1 THEN $3::int ELSE 0 END AS start_at, "
    "substr(v.ntriples, CASE WHEN p.id = $1 THEN $3::int ELSE 0 END + 1, $4::int) AS chunk, "
    "length(v.ntriples) AS total FROM discovery.providers p JOIN discovery.manifest_versions v "
    "ON v.id = p.current_version WHERE (p.id > $1 OR (p.id = $1 AND NOT $2::boolean)) "
    "AND ($6 = '' OR p.id = $6) ORDER BY p.id LIMIT $5";

}  // namespace sql

// ---- Row mapping ----------------------------------------------------------------------------

std::string pg_array(const std::vector<std::string>& values) {
  std::string out = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ',';
    out += '"';
    for (char c : values[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

std::vector<std::string> parse_pg_array(const std::string& text) {
  std::vector<std::string> out;
  if (text.size() < 2) return out;
  std::string current;
  bool quoted = false;
  bool any = false;
  for (size_t i = 1; i + 1 < text.size(); ++i) {
    char c = text[i];
    if (quoted) {
      if (c == '\\' && i + 2 < text.size()) {
        current += text[++i];
      } else if (c == '"') {
        quoted = false;
      } else {
        current += c;
      }
    } else if (c == '"') {
      quoted = true;
      any = true;
    } else if (c == ',') {
      out.push_back(current);
      current.clear();
      any = false;
    } else {
      current += c;
      any = true;
    }
  }
  if (any || !current.empty()) out.push_back(current);
  return out;
}

std::string text(const pqxx::field& f) { return f.is_null() ? "" : f.as<std::string>(); }

std::optional<std::string> optional_text(const std::string& value) {
  if (value.empty()) return std::nullopt;
  return value;
}

OfferingRecord offering_record_from_row(const pqxx::row& row) {
  OfferingRecord o;
  o.id = text(row["id"]);
  o.provider_id = text(row["provider_id"]);
  o.name = text(row["name"]);
  o.kind = text(row["kind"]);
  o.countries = parse_pg_array(text(row["countries"]));
  o.regions = parse_pg_array(text(row["regions"]));
  o.vcpu = row["vcpu"].as<int>();
  o.memory_gib = row["memory_gib"].as<double>();
  o.storage_gib = row["storage_gib"].as<double>();
  o.has_price = !row["price_amount"].is_null();
  if (o.has_price) o.price_amount = row["price_amount"].as<double>();
  o.price_currency = text(row["price_currency"]);
  o.price_unit = text(row["price_unit"]);
  if (!row["monthly_price"].is_null()) o.monthly_price = row["monthly_price"].as<double>();
  o.certifications = parse_pg_array(text(row["certifications"]));
  o.availability_percent = row["availability_percent"].as<double>();
  o.content_hash = text(row["content_hash"]);
  o.kind_iri = text(row["kind_iri"]);
  o.kind_version = row["kind_version"].as<int64_t>();
  for (const auto& value : nlohmann::json::parse(text(row["properties"]), nullptr, false)) {
    if (!value.is_array() || value.size() != 4) continue;
    OfferingProperty property{value[0].get<std::string>(), value[1].get<std::string>(),
                              value[2].get<std::string>(), std::nullopt};
    if (value[3].is_number()) property.number = value[3].get<double>();
    o.properties.push_back(std::move(property));
  }
  return o;
}

v1::Provider provider_from_row(const pqxx::row& row) {
  v1::Provider p;
  p.set_id(text(row["id"]));
  p.set_name(text(row["name"]));
  p.set_country(text(row["country"]));
  p.set_manifest_url(text(row["manifest_url"]));
  p.set_status(row["current_version"].is_null() ? "pending" : "active");
  p.set_current_version(text(row["current_hash"]));
  p.set_fetched_at(text(row["fetched_at"]));
  p.set_last_error(text(row["last_error"]));
  p.set_offering_count(row["offering_count"].as<int>());
  p.set_registered_at(text(row["registered_at"]));
  p.set_next_refresh_at(text(row["next_refresh_at"]));
  p.set_consecutive_failures(row["consecutive_failures"].as<int>());
  return p;
}

ProviderState provider_state_from_row(const pqxx::row& row) {
  ProviderState s;
  s.id = text(row["id"]);
  s.manifest_url = text(row["manifest_url"]);
  s.etag = text(row["etag"]);
  s.last_modified = text(row["last_modified"]);
  s.current_hash = text(row["current_hash"]);
  s.consecutive_failures = row["consecutive_failures"].as<int>();
  return s;
}

std::optional<ProviderState> provider_state(const pqxx::result& rows) {
  if (rows.empty()) return std::nullopt;
  return provider_state_from_row(rows[0]);
}

std::string ids_array(const std::vector<int64_t>& ids) {
  std::vector<std::string> texts;
  for (int64_t id : ids) texts.push_back(std::to_string(id));
  return pg_array(texts);
}

}  // namespace

void fill_violations(const std::vector<Violation>& violations,
                     google::protobuf::RepeatedPtrField<v1::Violation>* out) {
  for (const auto& v : violations) {
    auto* violation = out->Add();
    violation->set_focus_node(v.focus_node);
    violation->set_path(v.path);
    violation->set_constraint(v.constraint);
    violation->set_value(v.value);
    violation->set_message(v.message);
    violation->set_severity(v.severity);
    violation->set_line(v.line);
    violation->set_column(v.column);
    violation->set_owner(v.owner);
  }
}

namespace {

// The provider row (locked), its stored versions and, for an accepted manifest, its indexed
// offerings and who else owns what the manifest claims: everything a plan may look at.
CurrentState read_current_state(pqxx::work& tx, const std::string& provider_id,
                                const std::string& source_url, const ManifestSummary* arriving) {
  CurrentState state;
  auto provider = tx.exec_params(sql::kLockProvider, provider_id);
  state.provider_known = !provider.empty();
  if (state.provider_known) {
    state.registered_url = text(provider[0]["manifest_url"]);
    if (!provider[0]["current_version"].is_null()) {
      state.served_version = provider[0]["current_version"].as<int64_t>();
    }
    state.served_hash = text(provider[0]["current_hash"]);
    for (const auto& row : tx.exec_params(sql::kVersionsNewestFirst, provider_id)) {
      state.versions.push_back(
          {row["id"].as<int64_t>(), text(row["hash"]), text(row["outcome"]) == "accepted"});
    }
  }
  if (arriving == nullptr) return state;
  if (!source_url.empty()) {
    auto other = tx.exec_params(sql::kOtherProviderWithUrl, source_url, provider_id);
    if (!other.empty()) state.url_owner = text(other[0]["id"]);
  }
  std::vector<std::string> ids;
  for (const auto& o : arriving->offerings) ids.push_back(o.id);
  for (const auto& row : tx.exec_params(sql::kOfferingsOwnedByOthers, pg_array(ids), provider_id)) {
    state.offering_owners[text(row["id"])] = text(row["provider_id"]);
  }
  if (state.provider_known) {
    for (const auto& row : tx.exec_params(std::string("SELECT ") + sql::kOfferingColumns +
                                              " FROM discovery.offerings WHERE provider_id = $1",
                                          provider_id)) {
      OfferingRecord record = offering_record_from_row(row);
      state.offerings[record.id] = std::move(record);
    }
  }
  return state;
}

// ---- Events ---------------------------------------------------------------------------------

db::OutgoingEvent event_of(const std::string& event, const google::protobuf::Message& payload) {
  return {service::event_subject("discovery", event), payload.GetTypeName(),
          payload.SerializeAsString()};
}

db::OutgoingEvent outgoing(const CatalogueEvent& planned) {
  struct Encode {
    db::OutgoingEvent operator()(const ManifestIngestedEvent& e) const {
      v1::ManifestIngested payload;
      payload.set_provider_id(e.provider_id);
      payload.set_version(e.version);
      payload.set_offerings(e.offerings);
      payload.set_added(e.added);
      payload.set_changed(e.changed);
      payload.set_removed(e.removed);
      payload.set_provider_iri(e.provider_iri);
      payload.set_provider_domain(e.provider_domain);
      for (const CredentialPointer& pointer : e.credentials) {
        v1::CredentialPointer* out = payload.add_credentials();
        out->set_url(pointer.url);
        out->set_subject(pointer.subject);
        out->set_claim(pointer.claim);
        out->set_standard(pointer.standard);
        for (const auto& offering : pointer.covers) out->add_covers(offering);
        if (pointer.availability_percent) {
          out->set_availability_percent(*pointer.availability_percent);
        }
      }
      return event_of("manifest_ingested", payload);
    }
    db::OutgoingEvent operator()(const ManifestRejectedEvent& e) const {
      v1::ManifestRejected payload;
      payload.set_provider_id(e.provider_id);
      payload.set_manifest_url(e.manifest_url);
      payload.set_error_reason(e.problem.reason);
      payload.set_reason(lower_case_name(e.problem.reason));
      payload.set_detail(e.problem.message);
      fill_violations(e.problem.violations, payload.mutable_violations());
      return event_of("manifest_rejected", payload);
    }
    db::OutgoingEvent operator()(const OfferingAddedEvent& e) const {
      v1::OfferingAdded payload;
      *payload.mutable_offering() = to_proto(*e.offering);
      return event_of("offering_added", payload);
    }
    db::OutgoingEvent operator()(const OfferingChangedEvent& e) const {
      v1::OfferingChanged payload;
      *payload.mutable_offering() = to_proto(*e.offering);
      *payload.mutable_previous() = to_proto(e.previous);
      return event_of("offering_changed", payload);
    }
    db::OutgoingEvent operator()(const OfferingRemovedEvent& e) const {
      v1::OfferingRemoved payload;
      payload.set_id(e.id);
      payload.set_provider_id(e.provider_id);
      return event_of("offering_removed", payload);
    }
  };
  return std::visit(Encode{}, planned);
}

void enqueue(pqxx::work& tx, const std::vector<CatalogueEvent>& planned) {
  if (planned.empty()) return;
  std::vector<db::OutgoingEvent> events;
  for (const auto& event : planned) events.push_back(outgoing(event));
  db::enqueue_events(tx, kSchema, "discovery", events);
}

// One multi-row upsert for every added or changed offering of a manifest.
void upsert_offerings(pqxx::work& tx, const std::vector<const OfferingRecord*>& offerings) {
  if (offerings.empty()) return;
  std::string sql =
      "INSERT INTO discovery.offerings (id, provider_id, name, description, kind, countries, "
      "regions, vcpu, memory_gib, storage_gib, price_amount, price_currency, price_unit, "
      "monthly_price, certifications, availability_percent, content_hash, search_text, "
      "kind_iri, kind_version, updated_at) VALUES ";
  std::string properties =
      "INSERT INTO discovery.offering_properties (offering_id, position, iri, name, text, "
      "number) VALUES ";
  std::vector<std::string> ids;
  size_t property_rows = 0;
  std::string documents = "INSERT INTO discovery.offering_documents (id, ntriples) VALUES ";
  auto number_or_null = [&tx](bool present, double value) {
    return present ? tx.quote(value) : std::string("NULL");
  };
  for (size_t i = 0; i < offerings.size(); ++i) {
    const OfferingRecord& o = *offerings[i];
    std::string search = o.name + " " + o.description;
    for (auto& c : search) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    sql += (i == 0 ? "(" : ", (") + tx.quote(o.id) + "," + tx.quote(o.provider_id) + "," +
           tx.quote(o.name) + "," + tx.quote(o.description) + "," + tx.quote(o.kind) + "," +
           tx.quote(pg_array(o.countries)) + "::text[]," + tx.quote(pg_array(o.regions)) +
           "::text[]," + tx.quote(o.vcpu) + "," + tx.quote(o.memory_gib) + "," +
           tx.quote(o.storage_gib) + "," + number_or_null(o.has_price, o.price_amount) + "," +
           tx.quote(o.price_currency) + "," + tx.quote(o.price_unit) + "," +
           number_or_null(o.monthly_price.has_value(), o.monthly_price.value_or(0)) + "," +
           tx.quote(pg_array(o.certifications)) + "::text[]," + tx.quote(o.availability_percent) +
           "," + tx.quote(o.content_hash) + "," + tx.quote(search) + "," + tx.quote(o.kind_iri) +
           "," + tx.quote(o.kind_version) + ", now())";
    documents += (i == 0 ? "(" : ", (") + tx.quote(o.id) + "," + tx.quote(o.ntriples) + ")";
    ids.push_back(o.id);
    for (size_t position = 0; position < o.properties.size(); ++position) {
      const OfferingProperty& p = o.properties[position];
      properties += (property_rows++ == 0 ? "(" : ", (") + tx.quote(o.id) + "," +
                    tx.quote(static_cast<int64_t>(position)) + "," + tx.quote(p.iri) + "," +
                    tx.quote(p.name) + "," + tx.quote(p.text) + "," +
                    number_or_null(p.number.has_value(), p.number.value_or(0)) + ")";
    }
  }
  sql +=
      " ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, description = EXCLUDED.description, "
      "kind = EXCLUDED.kind, countries = EXCLUDED.countries, regions = EXCLUDED.regions, vcpu = "
      "EXCLUDED.vcpu, memory_gib = EXCLUDED.memory_gib, storage_gib = EXCLUDED.storage_gib, "
      "price_amount = EXCLUDED.price_amount, price_currency = EXCLUDED.price_currency, "
      "price_unit = EXCLUDED.price_unit, monthly_price = EXCLUDED.monthly_price, "
      "certifications = EXCLUDED.certifications, availability_percent = "
      "EXCLUDED.availability_percent, content_hash = EXCLUDED.content_hash, search_text = "
      "EXCLUDED.search_text, kind_iri = EXCLUDED.kind_iri, kind_version = "
      "EXCLUDED.kind_version, updated_at = now()";
  tx.exec0(sql);
  tx.exec0(documents + " ON CONFLICT (id) DO UPDATE SET ntriples = EXCLUDED.ntriples");
  tx.exec_params0("DELETE FROM discovery.offering_properties WHERE offering_id = ANY($1::text[])",
                  pg_array(ids));
  if (property_rows > 0) tx.exec0(properties);
}

// pqxx reports errors as exceptions; callers want a Status.
template <typename Fn>
auto guarded(Fn&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const pqxx::broken_connection& e) {
    return unavailable(std::string("catalogue database unreachable: ") + e.what());
  } catch (const std::exception& e) {
    return internal_error(std::string("catalogue database error: ") + e.what());
  }
}

// A read on a pooled connection, outside any transaction, with errors as a Status.
template <typename T, typename Fn>
Result<T> read(db::Pool& pool, Fn&& fn) {
  return guarded([&]() -> Result<T> {
    auto lease = pool.acquire();
    if (!lease) return lease.status();
    pqxx::nontransaction tx(**lease);
    return fn(tx);
  });
}

}  // namespace

v1::Offering to_proto(const OfferingRecord& r) {
  v1::Offering o;
  o.set_id(r.id);
  o.set_provider_id(r.provider_id);
  o.set_name(r.name);
  o.set_kind(r.kind);
  for (const auto& c : r.countries) o.add_countries(c);
  for (const auto& region : r.regions) o.add_regions(region);
  o.set_vcpu(r.vcpu);
  o.set_memory_gib(r.memory_gib);
  o.set_storage_gib(r.storage_gib);
  o.set_price_amount(r.price_amount);
  o.set_price_currency(r.price_currency);
  o.set_price_unit(r.price_unit);
  if (r.monthly_price) o.set_monthly_price(*r.monthly_price);
  for (const auto& c : r.certifications) o.add_certifications(c);
  o.set_availability_percent(r.availability_percent);
  o.set_content_hash(r.content_hash);
  o.set_kind_iri(r.kind_iri);
  o.set_kind_version(static_cast<int32_t>(r.kind_version));
  auto& properties = *o.mutable_properties();
  for (const auto& p : r.properties) {
    std::string& shown = properties[p.name];
    shown += (shown.empty() ? "" : ", ") + p.text;
  }
  return o;
}

Result<std::optional<ProviderState>> CatalogueStore::find_provider(const std::string& id) {
  using Found = std::optional<ProviderState>;
  return read<Found>(pool_, [&](pqxx::nontransaction& tx) -> Result<Found> {
    return provider_state(tx.exec_params(sql::kProviderById, id));
  });
}

Result<std::optional<ProviderState>> CatalogueStore::find_provider_by_url(const std::string& url) {
  using Found = std::optional<ProviderState>;
  return read<Found>(pool_, [&](pqxx::nontransaction& tx) -> Result<Found> {
    return provider_state(tx.exec_params(sql::kProviderByUrl, url));
  });
}

Result<IngestPlan> CatalogueStore::accept(const AcceptedManifest& manifest,
                                          const std::string& manifest_text, const FetchMeta& meta,
                                          const IngestPlanner& planner) {
  const ManifestSummary& summary = manifest.summary;
  return guarded([&]() -> Result<IngestPlan> {
    return pool_.transact([&](pqxx::work& tx) -> Result<IngestPlan> {
      CurrentState state = read_current_state(tx, summary.provider_id, meta.source_url, &summary);
      MPLI_ASSIGN_OR_RETURN(IngestPlan plan, planner(state));
      if (plan.unchanged) {
        tx.exec_params(sql::kFetchedUnchanged, summary.provider_id, meta.etag, meta.last_modified,
                       meta.next_refresh_in_ms);
        return plan;
      }
      std::optional<std::string> source_url = optional_text(meta.source_url);
      if (plan.create_provider)
        tx.exec_params(sql::kInsertProvider, summary.provider_id, source_url);
      if (!plan.versions_to_delete.empty()) {
        tx.exec_params(sql::kDeleteVersions, ids_array(plan.versions_to_delete));
      }
      auto version = tx.exec_params1(sql::kInsertAcceptedVersion, summary.provider_id, source_url,
                                     manifest_text, meta.content_hash, manifest.ntriples);
      tx.exec_params(sql::kServeVersion, summary.provider_id, summary.provider_name,
                     summary.provider_country, version[0].as<int64_t>(), meta.content_hash,
                     meta.etag, meta.last_modified, meta.next_refresh_in_ms);
      upsert_offerings(tx, plan.upserts);
      if (!plan.removals.empty()) tx.exec_params(sql::kDeleteOfferings, pg_array(plan.removals));
      enqueue(tx, plan.events);
      return plan;
    });
  });
}

Status CatalogueStore::reject(const std::string& provider_id, const std::string& manifest_text,
                              const FetchMeta& meta, const ManifestProblem& problem,
                              const RejectionPlanner& planner) {
  nlohmann::json detail = {{"reason", v1::ErrorReason_Name(problem.reason)},
                           {"message", problem.message}};
  if (problem.line > 0) {
    detail["line"] = problem.line;
    detail["column"] = problem.column;
  }
  detail["violations"] = violations_json(problem);
  std::string detail_text = detail.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return guarded([&]() -> Status {
    return pool_.transact([&](pqxx::work& tx) -> Status {
      CurrentState state;
      if (!provider_id.empty()) state = read_current_state(tx, provider_id, "", nullptr);
      RejectionPlan plan = planner(state);
      if (state.provider_known) {
        tx.exec_params(sql::kRecordRejection, provider_id,
                       lower_case_name(problem.reason) + ": " + problem.message,
                       meta.next_refresh_in_ms);
      }
      if (!plan.versions_to_delete.empty()) {
        tx.exec_params(sql::kDeleteVersions, ids_array(plan.versions_to_delete));
      }
      if (plan.store_version) {
        tx.exec_params(sql::kInsertRejectedVersion, provider_id, optional_text(meta.source_url),
                       manifest_text, meta.content_hash, detail_text);
      }
      enqueue(tx, plan.events);
      return Status::ok();
    });
  });
}

Status CatalogueStore::fetch_failed(const std::string& provider_id, const std::string& url,
                                    const Status& why, int64_t next_refresh_in_ms) {
  v1::ManifestRejected event;
  event.set_provider_id(provider_id);
  event.set_manifest_url(url);
  event.set_error_reason(reason_of(why));
  event.set_reason(lower_case_name(reason_of(why)));
  event.set_detail(why.message());
  return guarded([&]() -> Status {
    return pool_.transact([&](pqxx::work& tx) {
      if (!provider_id.empty()) {
        tx.exec_params(sql::kRecordFetchFailure, provider_id, why.message(), next_refresh_in_ms);
      }
      db::enqueue_event(tx, kSchema, "discovery", event_of("manifest_rejected", event));
    });
  });
}

Status CatalogueStore::not_modified(const std::vector<std::pair<std::string, FetchMeta>>& batch) {
  if (batch.empty()) return Status::ok();
  return guarded([&]() -> Status {
    return pool_.transact([&](pqxx::work& tx) {
      // Bookkeeping only (no version, no event): if a crash loses it, the provider is simply
      // fetched again. Not waiting for the WAL flush doubles the refresh rate.
      tx.exec0("SET LOCAL synchronous_commit = off");
      std::string values;
      for (const auto& [id, meta] : batch) {
        values += (values.empty() ? "(" : ", (") + tx.quote(id) + ", " + tx.quote(meta.etag) +
                  ", " + tx.quote(meta.last_modified) + ", " + tx.quote(meta.next_refresh_in_ms) +
                  "::bigint)";
      }
      tx.exec0(
          "UPDATE discovery.providers p SET fetched_at = now(), last_error = NULL, "
          "consecutive_failures = 0, etag = COALESCE(NULLIF(v.etag, ''), p.etag), last_modified "
          "= COALESCE(NULLIF(v.last_modified, ''), p.last_modified), next_refresh_at = now() + "
          "make_interval(secs => v.delay / 1000.0) FROM (VALUES " +
          values + ") AS v (id, etag, last_modified, delay) WHERE p.id = v.id");
    });
  });
}

Result<std::vector<ProviderState>> CatalogueStore::claim_due(int limit, int64_t lease_ms) {
  using Claimed = std::vector<ProviderState>;
  return guarded([&]() -> Result<Claimed> {
    return pool_.transact([&](pqxx::work& tx) -> Result<Claimed> {
      tx.exec0("SET LOCAL synchronous_commit = off");  // a lost claim only means an earlier retry
      Claimed claimed;
      for (const auto& row : tx.exec_params(sql::kClaimDue, limit, lease_ms)) {
        claimed.push_back(provider_state_from_row(row));
      }
      return claimed;
    });
  });
}

Status CatalogueStore::release_claims(const std::vector<std::string>& provider_ids) {
  if (provider_ids.empty()) return Status::ok();
  return guarded([&]() -> Status {
    return pool_.transact(
        [&](pqxx::work& tx) { tx.exec_params(sql::kReleaseClaims, pg_array(provider_ids)); });
  });
}

Result<std::vector<v1::Provider>> CatalogueStore::list_providers(const std::string& after_id,
                                                                 int limit, bool only_served) {
  using Providers = std::vector<v1::Provider>;
  return read<Providers>(pool_, [&](pqxx::nontransaction& tx) -> Result<Providers> {
    std::string where = " WHERE p.id > $1";
    if (only_served) where += " AND p.current_version IS NOT NULL";
    Providers out;
    for (const auto& row :
         tx.exec_params(std::string(sql::kProviderSelect) + where + " ORDER BY p.id LIMIT $2",
                        after_id, limit)) {
      out.push_back(provider_from_row(row));
    }
    return out;
  });
}

Result<std::optional<v1::Provider>> CatalogueStore::get_provider(const std::string& id) {
  using Found = std::optional<v1::Provider>;
  return read<Found>(pool_, [&](pqxx::nontransaction& tx) -> Result<Found> {
    auto rows = tx.exec_params(std::string(sql::kProviderSelect) + " WHERE p.id = $1", id);
    if (rows.empty()) return Found();
    return Found(provider_from_row(rows[0]));
  });
}

Result<bool> CatalogueStore::delete_provider(const std::string& id) {
  return guarded([&]() -> Result<bool> {
    return pool_.transact([&](pqxx::work& tx) -> Result<bool> {
      if (tx.exec_params(sql::kLockProvider, id).empty()) return false;
      std::vector<CatalogueEvent> events;
      for (const auto& row : tx.exec_params(sql::kOfferingIdsOfProvider, id)) {
        events.push_back(OfferingRemovedEvent{text(row["id"]), id});
      }
      tx.exec_params(sql::kDeleteProvider, id);
      enqueue(tx, events);
      return true;
    });
  });
}

Result<std::vector<v1::Offering>> CatalogueStore::list_offerings(
    const v1::OfferingFilter& f, const std::vector<PropertyCondition>& conditions,
    const std::string& after_id, int limit) {
  using Offerings = std::vector<v1::Offering>;
  return read<Offerings>(pool_, [&](pqxx::nontransaction& tx) -> Result<Offerings> {
    // Values are quoted by libpq (tx.quote), never spliced raw.
    std::string where = "TRUE";
    auto add = [&](const std::string& clause) { where += " AND " + clause; };
    if (!f.kind().empty()) add("kind = " + tx.quote(f.kind()));
    if (!f.country().empty()) add(tx.quote(f.country()) + " = ANY(countries)");
    if (!f.region().empty()) add(tx.quote(f.region()) + " = ANY(regions)");
    if (f.min_vcpu() > 0) add("vcpu >= " + tx.quote(f.min_vcpu()));
    if (f.min_memory_gib() > 0) add("memory_gib >= " + tx.quote(f.min_memory_gib()));
    if (f.has_max_price()) add("monthly_price <= " + tx.quote(f.max_price()));
    if (!f.certification().empty()) add(tx.quote(f.certification()) + " = ANY(certifications)");
    if (!f.provider_id().empty()) add("provider_id = " + tx.quote(f.provider_id()));
    if (!f.text().empty()) {
      std::string pattern;
      for (char c : f.text()) {
        if (c == '%' || c == '_' || c == '\\') pattern += '\\';
        pattern += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      }
      add("search_text LIKE " + tx.quote("%" + pattern + "%"));
    }
    for (const PropertyCondition& c : conditions) {
      const char* op = c.op == PropertyCondition::Op::kAtLeast  ? " >= "
                       : c.op == PropertyCondition::Op::kAtMost ? " <= "
                                                                : " = ";
      add("EXISTS (SELECT 1 FROM discovery.offering_properties p WHERE p.offering_id = "
          "offerings.id AND p.iri = ANY(" +
          tx.quote(pg_array(c.iris)) + "::text[]) AND " +
          (c.numeric ? "p.number" + std::string(op) + tx.quote(c.number)
                     : "p.text" + std::string(op) + tx.quote(c.text)) +
          ")");
    }
    if (!after_id.empty()) add("id > " + tx.quote(after_id));
    Offerings out;
    for (const auto& row : tx.exec(std::string("SELECT ") + sql::kOfferingColumns +
                                   " FROM discovery.offerings WHERE " + where +
                                   " ORDER BY id LIMIT " + std::to_string(limit))) {
      out.push_back(to_proto(offering_record_from_row(row)));
    }
    return out;
  });
}

Result<std::optional<std::pair<v1::Offering, std::string>>> CatalogueStore::get_offering(
    const std::string& id) {
  using Found = std::optional<std::pair<v1::Offering, std::string>>;
  return read<Found>(pool_, [&](pqxx::nontransaction& tx) -> Result<Found> {
    // Prepared: delivery asks for the offering of every order it accepts.
    auto rows = db::exec_prepared(tx,
                                  std::string("SELECT ") + sql::kOfferingColumns +
                                      ", d.ntriples FROM discovery.offerings JOIN "
                                      "discovery.offering_documents d USING (id) WHERE id = $1",
                                  id);
    if (rows.empty()) return Found();
    return Found(
        std::make_pair(to_proto(offering_record_from_row(rows[0])), text(rows[0]["ntriples"])));
  });
}

Result<std::vector<DocumentChunk>> CatalogueStore::document_chunks(const ExportPosition& from,
                                                                   int64_t max_characters,
                                                                   int providers,
                                                                   const std::string& only) {
  using Chunks = std::vector<DocumentChunk>;
  return read<Chunks>(pool_, [&](pqxx::nontransaction& tx) -> Result<Chunks> {
    Chunks out;
    for (const auto& row : tx.exec_params(sql::kDocumentChunks, from.provider_id, from.finished,
                                          from.offset, max_characters, providers, only)) {
      out.push_back({text(row["id"]), row["start_at"].as<int64_t>(), text(row["chunk"]),
                     row["total"].as<int64_t>()});
    }
    return out;
  });
}

// ---- Service kinds ----------------------------------------------------------------------------

namespace {

constexpr const char* kKindColumns =
    "iri, version, vocabulary, registered_by, "
    "to_char(registered_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS "
    "registered_at";

std::vector<ServiceKind> kinds_from_rows(const pqxx::result& rows) {
  std::vector<ServiceKind> kinds;
  for (const auto& row : rows) {
    // Stored only after read_service_kind accepted it: a row that no longer reads is a
    // defect worth a log line, not a reason to stop serving the others.
    auto kind = read_service_kind(text(row["vocabulary"]), text(row["iri"]));
    if (!kind) {
      log::error("a stored kind vocabulary does not read",
                 {{"kind", text(row["iri"])}, {"error", kind.status().to_string()}});
      continue;
    }
    kind->provenance = "registered";
    kind->registered_by = text(row["registered_by"]);
    kind->registered_at = text(row["registered_at"]);
    kinds.push_back(std::move(kind).value());
  }
  return kinds;
}

}  // namespace

v1::ServiceKind kind_to_proto(const ServiceKind& kind, const std::vector<int64_t>& versions) {
  v1::ServiceKind out;
  out.set_iri(kind.iri);
  out.set_name(kind.name);
  out.set_label(kind.label);
  out.set_description(kind.description);
  out.set_version(static_cast<int32_t>(kind.version));
  for (const KindProperty& p : kind.properties) {
    v1::KindProperty* property = out.add_properties();
    property->set_iri(p.iri);
    property->set_name(p.name);
    property->set_label(p.label);
    property->set_datatype(p.datatype);
    property->set_unit(p.unit);
    property->set_required(p.required);
    property->set_filterable(p.filterable);
  }
  out.set_provenance(kind.provenance);
  out.set_registered_by(kind.registered_by);
  out.set_registered_at(kind.registered_at);
  out.set_hash(kind.hash);
  for (int64_t version : versions) out.add_versions(static_cast<int32_t>(version));
  return out;
}

Result<std::vector<ServiceKind>> CatalogueStore::registered_kinds() {
  using Kinds = std::vector<ServiceKind>;
  return read<Kinds>(pool_, [&](pqxx::nontransaction& tx) -> Result<Kinds> {
    return kinds_from_rows(tx.exec(std::string("SELECT ") + kKindColumns +
                                   " FROM discovery.service_kinds ORDER BY seq"));
  });
}

Result<std::string> CatalogueStore::kinds_generation() {
  return read<std::string>(pool_, [&](pqxx::nontransaction& tx) -> Result<std::string> {
    auto row = tx.exec1("SELECT count(*), coalesce(max(seq), 0) FROM discovery.service_kinds");
    return row[0].as<std::string>() + ":" + row[1].as<std::string>();
  });
}

Result<KindRegistration> CatalogueStore::register_kind(
    const ServiceKind& proposed,
    const std::function<Result<KindRegistration>(const std::vector<ServiceKind>&)>& planner,
    const std::function<v1::ServiceKind(KindRegistration)>& describe) {
  return guarded([&]() -> Result<KindRegistration> {
    return pool_.transact([&](pqxx::work& tx) -> Result<KindRegistration> {
      // One registration at a time across instances: the plan reads what the others stored.
      tx.exec("SELECT pg_advisory_xact_lock(hashtext('discovery.service_kinds'))");
      std::vector<ServiceKind> registered = kinds_from_rows(tx.exec(
          std::string("SELECT ") + kKindColumns + " FROM discovery.service_kinds ORDER BY seq"));
      MPLI_ASSIGN_OR_RETURN(KindRegistration outcome, planner(registered));
      if (outcome == KindRegistration::kUnchanged) return outcome;
      // An update replaces its version's text; its seq moves so every instance reloads.
      tx.exec_params0(
          "INSERT INTO discovery.service_kinds (iri, version, name, vocabulary, hash, "
          "registered_by) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (iri, version) DO UPDATE "
          "SET vocabulary = EXCLUDED.vocabulary, hash = EXCLUDED.hash, registered_by = "
          "EXCLUDED.registered_by, registered_at = now(), seq = "
          "nextval(pg_get_serial_sequence('discovery.service_kinds', 'seq'))",
          proposed.iri, proposed.version, proposed.name, proposed.turtle, proposed.hash,
          proposed.registered_by);
      v1::KindRegistered payload;
      *payload.mutable_kind() = describe(outcome);
      payload.set_outcome(std::string(registration_name(outcome)));
      db::enqueue_events(tx, kSchema, "discovery", {event_of("kind_registered", payload)});
      return outcome;
    });
  });
}

Result<std::vector<std::string>> CatalogueStore::providers_with_unclassified(
    const std::string& kind_iri) {
  using Ids = std::vector<std::string>;
  return read<Ids>(pool_, [&](pqxx::nontransaction& tx) -> Result<Ids> {
    Ids ids;
    for (const auto& row : tx.exec_params(
             "SELECT DISTINCT provider_id FROM discovery.offerings WHERE kind_iri = $1 AND "
             "kind_version = 0 ORDER BY provider_id",
             kind_iri)) {
      ids.push_back(text(row[0]));
    }
    return ids;
  });
}

Result<std::optional<std::pair<std::string, std::string>>> CatalogueStore::served_manifest(
    const std::string& provider_id) {
  using Found = std::optional<std::pair<std::string, std::string>>;
  return read<Found>(pool_, [&](pqxx::nontransaction& tx) -> Result<Found> {
    auto rows = tx.exec_params(
        "SELECT v.content, p.manifest_url FROM discovery.providers p JOIN "
        "discovery.manifest_versions v ON v.id = p.current_version WHERE p.id = $1",
        provider_id);
    if (rows.empty()) return Found();
    return Found(std::make_pair(text(rows[0][0]), text(rows[0][1])));
  });
}

}  // namespace mpli::discovery
