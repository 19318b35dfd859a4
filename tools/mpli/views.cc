#include "tools/mpli/views.h"

#include <cstdio>
#include <vector>

#include "tools/mpli/table.h"

namespace mpli::cli {
namespace {

using nlohmann::json;

std::string text(const json& object, const char* key) {
  if (!object.is_object() || !object.contains(key)) return "";
  const json& value = object[key];
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number_integer()) return std::to_string(value.get<long long>());
  if (value.is_number()) {
    char buffer[64];
    std::snprintf(buffer, sizeof(buffer), "%g", value.get<double>());
    return buffer;
  }
  if (value.is_boolean()) return value.get<bool>() ? "true" : "false";
  return "";
}

std::string money(const json& object, const char* key) {
  if (!object.is_object() || !object.contains(key) || !object[key].is_number()) return "";
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), "%.2f", object[key].get<double>());
  return buffer;
}

std::string joined(const json& object, const char* key, bool compact = false) {
  if (!object.is_object() || !object.contains(key) || !object[key].is_array()) return "";
  std::string out;
  for (const json& item : object[key]) {
    if (!item.is_string()) continue;
    if (!out.empty()) out += ",";
    out += compact ? compact_iri(item.get<std::string>()) : item.get<std::string>();
  }
  return out;
}

// A quantity that is 0 in the record means "not stated" (object storage has no vCPUs): blank.
std::string quantity(const json& object, const char* key, const std::string& unit = "") {
  if (!object.is_object() || !object.contains(key) || !object[key].is_number() ||
      object[key].get<double>() == 0) {
    return "";
  }
  return text(object, key) + unit;
}

const json& items(const json& list) {
  static const json kEmpty = json::array();
  return list.is_array() ? list : kEmpty;
}

std::string price(const json& offering) {
  std::string currency = text(offering, "price_currency");
  std::string amount = money(offering, "monthly_price");
  if (amount.empty()) {
    // No monthly equivalent: the price as listed, with its unit.
    amount = money(offering, "price_amount");
    if (amount.empty()) return "";
    std::string unit = text(offering, "price_unit");
    return amount + (currency.empty() ? "" : " " + currency) + (unit.empty() ? "" : "/" + unit);
  }
  return amount + (currency.empty() ? "" : " " + currency);
}

}  // namespace

std::string compact_iri(const std::string& iri) {
  static const std::string kMpli = "https://w3id.org/mpli#";
  return iri.rfind(kMpli, 0) == 0 ? "mpli:" + iri.substr(kMpli.size()) : iri;
}

std::string providers_table(const json& providers) {
  std::vector<std::vector<std::string>> rows;
  for (const json& p : items(providers)) {
    rows.push_back({text(p, "id"), text(p, "name"), text(p, "country"), text(p, "status"),
                    text(p, "offering_count"), text(p, "fetched_at"), text(p, "manifest_url")});
  }
  return render_table({{"ID", 24},
                       {"NAME", 32},
                       {"COUNTRY", 7},
                       {"STATUS", 10},
                       {"OFFERINGS", 9, true},
                       {"FETCHED", 0},
                       {"MANIFEST", 60}},
                      rows);
}

std::string provider_fields(const json& p) {
  std::vector<std::pair<std::string, std::string>> fields = {
      {"id", text(p, "id")},
      {"name", text(p, "name")},
      {"country", text(p, "country")},
      {"status", text(p, "status")},
      {"offerings", text(p, "offering_count")},
      {"manifest", text(p, "manifest_url").empty() ? "(uploaded)" : text(p, "manifest_url")},
      {"version", text(p, "current_version")},
      {"registered", text(p, "registered_at")},
      {"fetched", text(p, "fetched_at")},
      {"next refresh", text(p, "next_refresh_at")},
  };
  if (!text(p, "last_error").empty()) {
    fields.emplace_back("last error", text(p, "last_error"));
    fields.emplace_back("failures in a row", text(p, "consecutive_failures"));
  }
  if (p.is_object() && p.contains("outcome")) fields.emplace_back("outcome", text(p, "outcome"));
  return render_fields(fields);
}

std::string offerings_table(const json& offerings) {
  std::vector<std::vector<std::string>> rows;
  for (const json& o : items(offerings)) {
    rows.push_back({text(o, "name"), text(o, "provider_id"), text(o, "kind"), joined(o, "regions"),
                    quantity(o, "vcpu"), quantity(o, "memory_gib", " GiB"), price(o),
                    joined(o, "certifications"), text(o, "id")});
  }
  return render_table({{"NAME", 32},
                       {"PROVIDER", 16},
                       {"KIND", 20},
                       {"REGIONS", 20},
                       {"VCPU", 4, true},
                       {"MEMORY", 10, true},
                       {"PRICE/MONTH", 16, true},
                       {"CERTIFICATIONS", 32},
                       {"ID", 0}},
                      rows);
}

std::string offering_fields(const json& o) {
  std::string listed = money(o, "price_amount");
  if (!listed.empty()) {
    listed += " " + text(o, "price_currency");
    if (!text(o, "price_unit").empty()) listed += " per " + text(o, "price_unit");
  }
  return render_fields({
      {"id", text(o, "id")},
      {"name", text(o, "name")},
      {"provider", text(o, "provider_id")},
      {"kind", text(o, "kind")},
      {"countries", joined(o, "countries")},
      {"regions", joined(o, "regions")},
      {"vcpu", quantity(o, "vcpu")},
      {"memory", quantity(o, "memory_gib", " GiB")},
      {"storage", quantity(o, "storage_gib", " GiB")},
      {"price", listed},
      {"per month", money(o, "monthly_price").empty()
                        ? ""
                        : money(o, "monthly_price") + " " + text(o, "price_currency")},
      {"certifications", joined(o, "certifications")},
      {"availability", quantity(o, "availability_percent", " %")},
      {"kind version", o.value("kind_version", 0) == 0 ? "unclassified (its kind is not registered)"
                                                       : text(o, "kind_version")},
      {"properties",
       [&o] {
         std::string shown;
         if (!o.contains("properties") || !o["properties"].is_object()) return shown;
         for (const auto& [name, value] : o["properties"].items()) {
           shown += (shown.empty() ? "" : ", ") + name + "=" +
                    (value.is_string() ? value.get<std::string>() : value.dump());
         }
         return shown;
       }()},
      {"content hash", text(o, "content_hash")},
  });
}

namespace {
// The member `key` of `object`, or null: a reference that outlives the expression it is in.
const json& member(const json& object, const char* key) {
  static const json kNull;
  return object.is_object() && object.contains(key) ? object[key] : kNull;
}

// "vcpu*, memoryGiB*, postgresVersion": the kind's properties, filterable ones starred.
std::string property_names(const json& kind) {
  std::string names;
  for (const json& p : items(member(kind, "properties"))) {
    names +=
        (names.empty() ? "" : ", ") + text(p, "name") + (p.value("filterable", false) ? "*" : "");
  }
  return names;
}
}  // namespace

std::string kinds_table(const json& kinds) {
  std::vector<std::vector<std::string>> rows;
  for (const json& k : items(kinds)) {
    rows.push_back({text(k, "name"), text(k, "version"), text(k, "label"), property_names(k),
                    text(k, "provenance")});
  }
  return render_table({{"NAME", 24},
                       {"VERSION", 7, true},
                       {"LABEL", 28},
                       {"PROPERTIES (* filterable)", 60},
                       {"PROVENANCE", 0}},
                      rows);
}

std::string kind_fields(const json& k) {
  std::string out = render_fields({
      {"name", text(k, "name")},
      {"iri", text(k, "iri")},
      {"label", text(k, "label")},
      {"description", text(k, "description")},
      {"version", text(k, "version")},
      {"versions held",
       [&k] {
         std::string versions;
         for (const json& v : items(member(k, "versions"))) {
           versions += (versions.empty() ? "" : ", ") + v.dump();
         }
         return versions;
       }()},
      {"provenance", text(k, "provenance")},
      {"registered by", text(k, "registered_by")},
      {"registered at", text(k, "registered_at")},
  });
  std::vector<std::vector<std::string>> rows;
  for (const json& p : items(member(k, "properties"))) {
    rows.push_back({text(p, "name"), compact_iri(text(p, "datatype")),
                    p.value("required", false) ? "required" : "optional",
                    p.value("filterable", false) ? "yes" : "no", text(p, "unit"), text(p, "iri")});
  }
  if (!rows.empty()) {
    out += "\n" + render_table({{"PROPERTY", 24},
                                {"DATATYPE", 14},
                                {"REQUIRED", 8},
                                {"FILTER", 6},
                                {"UNIT", 24},
                                {"IRI", 0}},
                               rows);
  }
  return out;
}

std::string credentials_table(const json& credentials) {
  std::vector<std::vector<std::string>> rows;
  for (const json& c : items(credentials)) {
    std::string state = text(c, "state");
    if (!text(c, "refusal").empty()) state += " (" + text(c, "refusal") + ")";
    rows.push_back({state, text(c, "format"), compact_iri(text(c, "kind")), text(c, "issuer"),
                    text(c, "valid_until"), text(c, "id")});
  }
  return render_table(
      {{"STATE", 28}, {"FORMAT", 16}, {"KIND", 32}, {"ISSUER", 48}, {"VALID UNTIL", 0}, {"ID", 0}},
      rows);
}

std::string credential_fields(const json& c) {
  std::string out = render_fields({
      {"id", text(c, "id")},
      {"credential id", text(c, "credential_id")},
      {"state", text(c, "state")},
      {"refusal",
       text(c, "refusal").empty()
           ? ""
           : text(c, "refusal") +
                 (text(c, "refusal_detail").empty() ? "" : ": " + text(c, "refusal_detail"))},
      {"format", text(c, "format")},
      {"kind", compact_iri(text(c, "kind"))},
      {"issuer", text(c, "issuer")},
      {"subject", text(c, "subject")},
      {"valid from", text(c, "valid_from")},
      {"valid until", text(c, "valid_until")},
  });
  if (c.is_object() && c.contains("facts") && c["facts"].is_array() && !c["facts"].empty()) {
    out += "facts:\n" + facts_table(c["facts"]);
  }
  return out;
}

std::string facts_table(const json& facts) {
  std::vector<std::vector<std::string>> rows;
  for (const json& f : items(facts)) {
    rows.push_back({compact_iri(text(f, "predicate")), compact_iri(text(f, "object")),
                    text(f, "issuer"), text(f, "valid_until")});
  }
  return render_table({{"PREDICATE", 32}, {"OBJECT", 40}, {"ISSUER", 48}, {"VALID UNTIL", 0}},
                      rows);
}

namespace {

// The members of an event's payload that say what it is about, as "key=value" (nested ones as
// "offering.id=..."), at most two levels deep: enough to read a line, --json has the rest.
void summarise(const json& object, const std::string& prefix, int depth,
               std::vector<std::string>& out) {
  static const std::vector<std::string> kKeys = {"provider_id", "order_id", "migration_id",
                                                 "tenant",      "id",       "name",
                                                 "status",      "outcome",  "reason"};
  for (const std::string& key : kKeys) {
    if (!object.contains(key)) continue;
    std::string value = text(object, key.c_str());
    if (!value.empty()) out.push_back(prefix + key + "=" + value);
  }
  if (depth == 0) return;
  for (const auto& [key, value] : object.items()) {
    if (value.is_object()) summarise(value, prefix + key + ".", depth - 1, out);
  }
}

}  // namespace

std::string event_line(const ServerSentEvent& event) {
  std::string line = (event.id.empty() ? "-" : event.id);
  json data = json::parse(event.data, nullptr, false);
  if (data.is_object() && data.contains("payload") && data["payload"].is_object()) {
    // An MPLI event envelope: when, what, and about what.
    std::vector<std::string> about;
    summarise(data["payload"], "", 2, about);
    if (!text(data, "occurred_at").empty()) line += "  " + text(data, "occurred_at");
    line += "  " + event.type;
    for (const std::string& part : about) line += "  " + part;
    return line;
  }
  std::string raw = event.data;
  for (char& c : raw) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return line + "  " + event.type + "  " + raw;
}

std::string event_json_line(const ServerSentEvent& event) {
  json data = json::parse(event.data, nullptr, false);
  json line = {{"id", event.id}, {"event", event.type}};
  line["data"] = data.is_discarded() ? json(event.data) : data;
  // Bytes that are not UTF-8 become U+FFFD rather than an exception.
  return line.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace mpli::cli
