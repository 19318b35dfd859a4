#include "services/discovery/store/catalogue_store.h"

#include <nlohmann/json.hpp>

#include "libs/db/outbox.h"
#include "libs/service/runtime.h"
#include "services/discovery/domain/manifest_diff.h"

namespace mpli::discovery {
namespace {

constexpr const char* kSchema = "discovery";

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

std::string hex(const std::string& s) {
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out += kHex[c >> 4];
    out += kHex[c & 0xf];
  }
  return out;
}

std::optional<std::string> unhex(const std::string& s) {
  if (s.size() % 2 != 0) return std::nullopt;
  std::string out;
  for (size_t i = 0; i < s.size(); i += 2) {
    auto digit = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      return -1;
    };
    int hi = digit(s[i]);
    int lo = digit(s[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
  }
  return out;
}

std::string text(const pqxx::field& f) { return f.is_null() ? "" : f.as<std::string>(); }

v1::Offering offering_from_row(const pqxx::row& row) {
  v1::Offering o;
  o.set_id(text(row["id"]));
  o.set_provider_id(text(row["provider_id"]));
  o.set_name(text(row["name"]));
  o.set_kind(text(row["kind"]));
  for (const auto& c : parse_pg_array(text(row["countries"]))) o.add_countries(c);
  for (const auto& r : parse_pg_array(text(row["regions"]))) o.add_regions(r);
  o.set_vcpu(row["vcpu"].as<int>());
  o.set_memory_gib(row["memory_gib"].as<double>());
  o.set_storage_gib(row["storage_gib"].as<double>());
  if (!row["price_amount"].is_null()) o.set_price_amount(row["price_amount"].as<double>());
  o.set_price_currency(text(row["price_currency"]));
  o.set_price_unit(text(row["price_unit"]));
  for (const auto& c : parse_pg_array(text(row["certifications"]))) o.add_certifications(c);
  o.set_availability_percent(row["availability_percent"].as<double>());
  o.set_content_hash(text(row["content_hash"]));
  return o;
}

constexpr const char* kOfferingColumns =
    "id, provider_id, name, kind, countries, regions, vcpu, memory_gib, storage_gib, price_amount, "
    "price_currency, price_unit, certifications, availability_percent, content_hash";

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

constexpr const char* kProviderSelect =
    "SELECT p.id, p.name, p.country, p.manifest_url, p.current_version, p.current_hash, "
    "to_char(p.fetched_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS fetched_at, "
    "p.last_error, p.consecutive_failures, "
    "to_char(p.registered_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS registered_at, "
    "to_char(p.next_refresh_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS next_refresh_at, "
    "(SELECT count(*) FROM discovery.offerings o WHERE o.provider_id = p.id) AS offering_count "
    "FROM discovery.providers p";

db::OutgoingEvent event_of(const std::string& event, const google::protobuf::Message& payload) {
  return {service::event_subject("discovery", event), payload.GetTypeName(),
          payload.SerializeAsString()};
}

void emit(pqxx::work& tx, const std::string& event, const google::protobuf::Message& payload) {
  db::enqueue_event(tx, kSchema, "discovery", event_of(event, payload));
}

// One multi-row upsert for every added or changed offering of a manifest.
void upsert_offerings(pqxx::work& tx, const std::vector<const OfferingRecord*>& offerings) {
  if (offerings.empty()) return;
  std::string sql =
      "INSERT INTO discovery.offerings (id, provider_id, name, description, kind, countries, "
      "regions, vcpu, memory_gib, storage_gib, price_amount, price_currency, price_unit, "
      "certifications, availability_percent, content_hash, search_text, updated_at) "
      "VALUES ";
  std::string documents = "INSERT INTO discovery.offering_documents (id, ntriples) VALUES ";
  for (size_t i = 0; i < offerings.size(); ++i) {
    const OfferingRecord& o = *offerings[i];
    std::string search = o.name + " " + o.description;
    for (auto& c : search) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    sql += (i == 0 ? "(" : ", (") + tx.quote(o.id) + "," + tx.quote(o.provider_id) + "," +
           tx.quote(o.name) + "," + tx.quote(o.description) + "," + tx.quote(o.kind) + "," +
           tx.quote(pg_array(o.countries)) + "::text[]," + tx.quote(pg_array(o.regions)) +
           "::text[]," + tx.quote(o.vcpu) + "," +
           tx.quote(o.memory_gib) + "," + tx.quote(o.storage_gib) + "," +
           (o.has_price ? tx.quote(o.price_amount) : std::string("NULL")) + "," +
           tx.quote(o.price_currency) + "," + tx.quote(o.price_unit) + "," +
           tx.quote(pg_array(o.certifications)) + "::text[]," + tx.quote(o.availability_percent) +
           "," + tx.quote(o.content_hash) + "," + tx.quote(search) + ", now())";
    documents += (i == 0 ? "(" : ", (") + tx.quote(o.id) + "," + tx.quote(o.ntriples) + ")";
  }
  sql +=
      " ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, description = EXCLUDED.description, "
      "kind = EXCLUDED.kind, countries = EXCLUDED.countries, regions = EXCLUDED.regions, vcpu = "
      "EXCLUDED.vcpu, memory_gib = EXCLUDED.memory_gib, storage_gib = EXCLUDED.storage_gib, "
      "price_amount = EXCLUDED.price_amount, price_currency = EXCLUDED.price_currency, "
      "price_unit = EXCLUDED.price_unit, certifications = EXCLUDED.certifications, "
      "availability_percent = EXCLUDED.availability_percent, content_hash = "
      "EXCLUDED.content_hash, search_text = EXCLUDED.search_text, updated_at = now()";
  tx.exec0(sql);
  tx.exec0(documents + " ON CONFLICT (id) DO UPDATE SET ntriples = EXCLUDED.ntriples");
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

Status conflict(const std::string& message, const std::string& field) {
  return Status(StatusCode::kAlreadyExists, message, {{"field", field}});
}

// pqxx reports errors as exceptions; handlers want a Status.
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
  for (const auto& c : r.certifications) o.add_certifications(c);
  o.set_availability_percent(r.availability_percent);
  o.set_content_hash(r.content_hash);
  return o;
}

Result<std::optional<ProviderState>> CatalogueStore::find_provider(const std::string& id) {
  return read<std::optional<ProviderState>>(pool_, [&](pqxx::nontransaction& tx) -> Result<std::optional<ProviderState>> {
    return provider_state(tx.exec_params("SELECT * FROM discovery.providers WHERE id = $1", id));
  });
}

Result<std::optional<ProviderState>> CatalogueStore::find_provider_by_url(const std::string& url) {
  return read<std::optional<ProviderState>>(pool_, [&](pqxx::nontransaction& tx) -> Result<std::optional<ProviderState>> {
    return provider_state(
        tx.exec_params("SELECT * FROM discovery.providers WHERE manifest_url = $1", url));
  });
}

Result<AcceptOutcome> CatalogueStore::accept(const AcceptedManifest& manifest,
                                             const std::string& manifest_text,
                                             const FetchMeta& meta) {
  const ManifestSummary& summary = manifest.summary;
  AcceptOutcome outcome;
  Status problem;
  Status done = pool_.transact([&](pqxx::work& tx) {
    outcome = AcceptOutcome{};
    problem = Status::ok();
    auto existing = tx.exec_params(
        "SELECT id, manifest_url, current_hash FROM discovery.providers WHERE id = $1 FOR UPDATE",
        summary.provider_id);
    std::optional<std::string> source_url;
    if (!meta.source_url.empty()) source_url = meta.source_url;
    if (!existing.empty()) {
      std::string registered_url = text(existing[0]["manifest_url"]);
      if (!registered_url.empty() && registered_url != meta.source_url) {
        problem = conflict("provider '" + summary.provider_id + "' is registered from " +
                               registered_url + "; it cannot be replaced from " +
                               (meta.source_url.empty() ? "an upload" : meta.source_url),
                           "mpli:providerId");
        return;
      }
      if (text(existing[0]["current_hash"]) == meta.content_hash) {
        outcome.unchanged = true;
        tx.exec_params(
            "UPDATE discovery.providers SET etag = $2, last_modified = $3, fetched_at = now(), "
            "last_error = NULL, consecutive_failures = 0, next_refresh_at = CASE WHEN $4 > 0 "
            "THEN now() + make_interval(secs => $4 / 1000.0) END WHERE id = $1",
            summary.provider_id, meta.etag, meta.last_modified, meta.next_refresh_in_ms);
        return;
      }
    } else {
      if (source_url) {
        auto other = tx.exec_params("SELECT id FROM discovery.providers WHERE manifest_url = $1",
                                    *source_url);
        if (!other.empty()) {
          problem = conflict(meta.source_url + " is registered for provider '" +
                                 text(other[0]["id"]) + "', but now names '" +
                                 summary.provider_id + "'",
                             "mpli:providerId");
          return;
        }
      }
    }

    std::vector<std::string> ids;
    for (const auto& o : summary.offerings) ids.push_back(o.id);
    auto foreign = tx.exec_params(
        "SELECT id, provider_id FROM discovery.offerings WHERE id = ANY($1::text[]) AND "
        "provider_id <> $2 LIMIT 1",
        pg_array(ids), summary.provider_id);
    if (!foreign.empty()) {
      problem = conflict("offering " + text(foreign[0]["id"]) + " is already published by provider '" +
                             text(foreign[0]["provider_id"]) + "'",
                         "mpli:Offering");
      return;
    }
    // Only now, with every conflict ruled out: nothing before this point wrote anything.
    if (existing.empty()) {
      tx.exec_params("INSERT INTO discovery.providers (id, manifest_url) VALUES ($1, $2)",
                     summary.provider_id, source_url);
      outcome.created = true;
    }

    std::map<std::string, std::string> previous;
    std::map<std::string, v1::Offering> previous_records;
    for (const auto& row : tx.exec_params(std::string("SELECT ") + kOfferingColumns +
                                              " FROM discovery.offerings WHERE provider_id = $1",
                                          summary.provider_id)) {
      previous[text(row["id"])] = text(row["content_hash"]);
      previous_records[text(row["id"])] = offering_from_row(row);
    }
    OfferingDiff diff = diff_offerings(previous, summary.offerings);
    auto version = tx.exec_params1(
        "INSERT INTO discovery.manifest_versions (provider_id, source_url, content, hash, "
        "ntriples, outcome) VALUES ($1, $2, $3, $4, $5, 'accepted') RETURNING id",
        summary.provider_id, source_url, manifest_text, meta.content_hash, manifest.ntriples);
    tx.exec_params(
        "UPDATE discovery.providers SET name = $2, country = $3, current_version = $4, "
        "current_hash = $5, etag = $6, last_modified = $7, fetched_at = now(), last_error = NULL, "
        "consecutive_failures = 0, next_refresh_at = CASE WHEN $8 > 0 THEN now() + "
        "make_interval(secs => $8 / 1000.0) END WHERE id = $1",
        summary.provider_id, summary.provider_name, summary.provider_country,
        version[0].as<int64_t>(), meta.content_hash, meta.etag, meta.last_modified,
        meta.next_refresh_in_ms);
    // Keep the last ten versions of a provider; the served one always stays.
    tx.exec_params(
        "DELETE FROM discovery.manifest_versions WHERE provider_id = $1 AND id < $2 AND id NOT IN "
        "(SELECT id FROM discovery.manifest_versions WHERE provider_id = $1 ORDER BY id DESC LIMIT 10)",
        summary.provider_id, version[0].as<int64_t>());

    std::vector<const OfferingRecord*> upserts = diff.added;
    upserts.insert(upserts.end(), diff.changed.begin(), diff.changed.end());
    upsert_offerings(tx, upserts);
    std::vector<db::OutgoingEvent> events;
    for (const OfferingRecord* o : diff.added) {
      v1::OfferingAdded event;
      *event.mutable_offering() = to_proto(*o);
      events.push_back(event_of("offering_added", event));
    }
    for (const OfferingRecord* o : diff.changed) {
      v1::OfferingChanged event;
      *event.mutable_offering() = to_proto(*o);
      *event.mutable_previous() = previous_records[o->id];
      events.push_back(event_of("offering_changed", event));
    }
    if (!diff.removed.empty()) {
      tx.exec_params("DELETE FROM discovery.offerings WHERE id = ANY($1::text[])", pg_array(diff.removed));
    }
    for (const std::string& id : diff.removed) {
      v1::OfferingRemoved event;
      event.set_id(id);
      event.set_provider_id(summary.provider_id);
      events.push_back(event_of("offering_removed", event));
    }
    outcome.added = static_cast<int>(diff.added.size());
    outcome.changed = static_cast<int>(diff.changed.size());
    outcome.removed = static_cast<int>(diff.removed.size());
    v1::ManifestIngested ingested;
    ingested.set_provider_id(summary.provider_id);
    ingested.set_version(meta.content_hash);
    ingested.set_offerings(static_cast<int>(summary.offerings.size()));
    ingested.set_added(outcome.added);
    ingested.set_changed(outcome.changed);
    ingested.set_removed(outcome.removed);
    events.push_back(event_of("manifest_ingested", ingested));
    db::enqueue_events(tx, kSchema, "discovery", events);
  });
  // A conflict is found before the transaction writes anything, so its commit is empty.
  if (!problem.is_ok()) return problem;
  if (!done.is_ok()) return done;
  return outcome;
}

Status CatalogueStore::reject(const std::string& provider_id, const std::string& manifest_text,
                              const FetchMeta& meta, const ManifestProblem& problem) {
  nlohmann::json detail = {{"reason", problem.reason}, {"message", problem.message}};
  if (problem.line > 0) {
    detail["line"] = problem.line;
    detail["column"] = problem.column;
  }
  v1::ManifestRejected event;
  event.set_provider_id(provider_id);
  event.set_manifest_url(meta.source_url);
  event.set_reason(problem.reason);
  event.set_detail(problem.message);
  for (const auto& v : problem.violations) {
    auto* out = event.add_violations();
    out->set_focus_node(v.focus_node);
    out->set_path(v.path);
    out->set_constraint(v.constraint);
    out->set_value(v.value);
    out->set_message(v.message);
    out->set_severity(v.severity);
  }
  detail["violations"] = violations_json(problem);
  return pool_.transact([&](pqxx::work& tx) {
    bool known = !provider_id.empty() &&
                 !tx.exec_params("SELECT 1 FROM discovery.providers WHERE id = $1 FOR UPDATE",
                                 provider_id).empty();
    if (known) {
      std::optional<std::string> source_url;
      if (!meta.source_url.empty()) source_url = meta.source_url;
      tx.exec_params(
          "INSERT INTO discovery.manifest_versions (provider_id, source_url, content, hash, "
          "outcome, problem) VALUES ($1, $2, $3, $4, 'rejected', $5::jsonb)",
          provider_id, source_url, manifest_text, meta.content_hash,
          detail.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
      tx.exec_params(
          "UPDATE discovery.providers SET last_error = $2, consecutive_failures = "
          "consecutive_failures + 1, etag = $3, last_modified = $4, next_refresh_at = CASE WHEN "
          "$5 > 0 THEN now() + make_interval(secs => $5 / 1000.0) END WHERE id = $1",
          provider_id, problem.reason + ": " + problem.message, meta.etag, meta.last_modified,
          meta.next_refresh_in_ms);
    }
    emit(tx, "manifest_rejected", event);
  });
}

Status CatalogueStore::fetch_failed(const std::string& provider_id, const std::string& url,
                                    const Status& why, int64_t next_refresh_in_ms) {
  v1::ManifestRejected event;
  event.set_provider_id(provider_id);
  event.set_manifest_url(url);
  auto reason = why.details().find("reason");
  event.set_reason(reason != why.details().end() ? reason->second : "fetch");
  event.set_detail(why.message());
  return pool_.transact([&](pqxx::work& tx) {
    if (!provider_id.empty()) {
      tx.exec_params(
          "UPDATE discovery.providers SET last_error = $2, consecutive_failures = "
          "consecutive_failures + 1, next_refresh_at = now() + make_interval(secs => $3 / 1000.0) "
          "WHERE id = $1",
          provider_id, why.message(), next_refresh_in_ms);
    }
    emit(tx, "manifest_rejected", event);
  });
}

Status CatalogueStore::not_modified(const std::string& provider_id, const FetchMeta& meta) {
  return not_modified({{provider_id, meta}});
}

Status CatalogueStore::not_modified(const std::vector<std::pair<std::string, FetchMeta>>& batch) {
  if (batch.empty()) return Status::ok();
  return pool_.transact([&](pqxx::work& tx) {
    // Bookkeeping only (no version, no event): if a crash loses it, the provider is simply
    // fetched again. Not waiting for the WAL flush doubles the refresh rate.
    tx.exec0("SET LOCAL synchronous_commit = off");
    std::string values;
    for (const auto& [id, meta] : batch) {
      values += (values.empty() ? "(" : ", (") + tx.quote(id) + ", " + tx.quote(meta.etag) + ", " +
                tx.quote(meta.last_modified) + ", " + tx.quote(meta.next_refresh_in_ms) + "::bigint)";
    }
    tx.exec0(
        "UPDATE discovery.providers p SET fetched_at = now(), last_error = NULL, "
        "consecutive_failures = 0, etag = COALESCE(NULLIF(v.etag, ''), p.etag), last_modified = "
        "COALESCE(NULLIF(v.last_modified, ''), p.last_modified), next_refresh_at = now() + "
        "make_interval(secs => v.delay / 1000.0) FROM (VALUES " + values +
        ") AS v (id, etag, last_modified, delay) WHERE p.id = v.id");
  });
}

Result<std::vector<v1::Provider>> CatalogueStore::list_providers() {
  return read<std::vector<v1::Provider>>(pool_, [&](pqxx::nontransaction& tx) -> Result<std::vector<v1::Provider>> {
    std::vector<v1::Provider> out;
    for (const auto& row : tx.exec(std::string(kProviderSelect) + " ORDER BY p.id")) {
      out.push_back(provider_from_row(row));
    }
    return out;
  });
}

Result<std::optional<v1::Provider>> CatalogueStore::get_provider(const std::string& id) {
  return read<std::optional<v1::Provider>>(pool_, [&](pqxx::nontransaction& tx) -> Result<std::optional<v1::Provider>> {
    auto rows = tx.exec_params(std::string(kProviderSelect) + " WHERE p.id = $1", id);
    if (rows.empty()) return std::optional<v1::Provider>();
    return std::optional<v1::Provider>(provider_from_row(rows[0]));
  });
}

Result<bool> CatalogueStore::delete_provider(const std::string& id) {
  bool found = false;
  Status done = pool_.transact([&](pqxx::work& tx) {
    found = false;
    auto rows = tx.exec_params("SELECT id FROM discovery.providers WHERE id = $1 FOR UPDATE", id);
    if (rows.empty()) return;
    found = true;
    for (const auto& row : tx.exec_params(
             "SELECT id FROM discovery.offerings WHERE provider_id = $1 ORDER BY id", id)) {
      v1::OfferingRemoved event;
      event.set_id(text(row["id"]));
      event.set_provider_id(id);
      emit(tx, "offering_removed", event);
    }
    tx.exec_params("DELETE FROM discovery.providers WHERE id = $1", id);
  });
  if (!done.is_ok()) return done;
  return found;
}

Result<std::vector<ProviderState>> CatalogueStore::claim_due(int limit, int64_t lease_ms) {
  std::vector<ProviderState> out;
  Status done = pool_.transact([&](pqxx::work& tx) {
    out.clear();
    tx.exec0("SET LOCAL synchronous_commit = off");  // a lost claim only means an earlier retry
    for (const auto& row : tx.exec_params(
             "UPDATE discovery.providers SET next_refresh_at = now() + make_interval(secs => $2 / "
             "1000.0) WHERE id IN (SELECT id FROM discovery.providers WHERE manifest_url IS NOT "
             "NULL AND next_refresh_at <= now() ORDER BY next_refresh_at LIMIT $1 FOR UPDATE "
             "SKIP LOCKED) RETURNING id, manifest_url, etag, last_modified, current_hash, "
             "consecutive_failures",
             limit, lease_ms)) {
      out.push_back(provider_state_from_row(row));
    }
  });
  if (!done.is_ok()) return done;
  return out;
}

Result<v1::ListOfferingsReply> CatalogueStore::list_offerings(const v1::OfferingFilter& f) {
  return read<v1::ListOfferingsReply>(pool_, [&](pqxx::nontransaction& tx) -> Result<v1::ListOfferingsReply> {
    // Values are quoted by libpq (tx.quote), never spliced raw.
    std::string where = "TRUE";
    auto add = [&](const std::string& clause) { where += " AND " + clause; };
    if (!f.kind().empty()) add("kind = " + tx.quote(f.kind()));
    if (!f.country().empty()) add(tx.quote(f.country()) + " = ANY(countries)");
    if (!f.region().empty()) add(tx.quote(f.region()) + " = ANY(regions)");
    if (f.min_vcpu() > 0) add("vcpu >= " + tx.quote(f.min_vcpu()));
    if (f.min_memory_gib() > 0) add("memory_gib >= " + tx.quote(f.min_memory_gib()));
    if (f.has_max_price()) add("price_amount <= " + tx.quote(f.max_price()));
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
    if (!f.cursor().empty()) {
      auto after = unhex(f.cursor());
      if (!after) return Status(StatusCode::kInvalidArgument, "cursor: not a cursor from this catalogue", {{"field", "cursor"}});
      add("id > " + tx.quote(*after));
    }
    int limit = f.limit() <= 0 ? 50 : f.limit();
    auto rows = tx.exec(std::string("SELECT ") + kOfferingColumns +
                        " FROM discovery.offerings WHERE " + where + " ORDER BY id LIMIT " +
                        std::to_string(limit + 1));
    v1::ListOfferingsReply reply;
    for (int i = 0; i < static_cast<int>(rows.size()) && i < limit; ++i) {
      *reply.add_offerings() = offering_from_row(rows[static_cast<pqxx::result::size_type>(i)]);
    }
    if (static_cast<int>(rows.size()) > limit) {
      reply.set_next_cursor(hex(reply.offerings(limit - 1).id()));
    }
    return reply;
  });
}

Result<std::optional<std::pair<v1::Offering, std::string>>> CatalogueStore::get_offering(
    const std::string& id) {
  using Found = std::optional<std::pair<v1::Offering, std::string>>;
  return read<Found>(pool_, [&](pqxx::nontransaction& tx) -> Result<Found> {
    auto rows = tx.exec_params(std::string("SELECT ") + kOfferingColumns +
                                   ", d.ntriples FROM discovery.offerings JOIN "
                                   "discovery.offering_documents d USING (id) WHERE id = $1",
                               id);
    if (rows.empty()) return Found();
    return Found(std::make_pair(offering_from_row(rows[0]), text(rows[0]["ntriples"])));
  });
}

Result<std::pair<std::string, std::string>> CatalogueStore::export_page(const std::string& cursor,
                                                                        int providers) {
  return read<std::pair<std::string, std::string>>(pool_, [&](pqxx::nontransaction& tx) -> Result<std::pair<std::string, std::string>> {
    auto rows = tx.exec_params(
        "SELECT p.id, v.ntriples FROM discovery.providers p JOIN discovery.manifest_versions v "
        "ON v.id = p.current_version WHERE p.id > $1 ORDER BY p.id LIMIT $2",
        cursor, providers + 1);
    std::string document;
    std::string next;
    for (int i = 0; i < static_cast<int>(rows.size()) && i < providers; ++i) {
      const auto& row = rows[static_cast<pqxx::result::size_type>(i)];
      document += text(row["ntriples"]);
      if (static_cast<int>(rows.size()) > providers && i == providers - 1) next = text(row["id"]);
    }
    return std::make_pair(document, next);
  });
}

}  // namespace mpli::discovery
