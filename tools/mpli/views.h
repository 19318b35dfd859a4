// The hub's JSON answers as the tables and field lists `mpli` prints by default (with --json
// the answer itself is printed instead). Pure: no I/O. Missing members print as empty cells, so
// an answer from a newer hub with fields moved still prints what it has.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "tools/mpli/sse.h"

namespace mpli::cli {

// GET /v1/providers: ID, NAME, COUNTRY, STATUS, OFFERINGS, FETCHED, MANIFEST.
std::string providers_table(const nlohmann::json& providers);
// One provider (GET /v1/providers/{id}, a registration, a refresh with its `outcome`).
std::string provider_fields(const nlohmann::json& provider);

// GET /v1/offerings: NAME, PROVIDER, KIND, REGIONS, VCPU, MEMORY, PRICE/MONTH, CERTIFICATIONS,
// then ID uncut (the IRI `mpli offerings get` takes).
std::string offerings_table(const nlohmann::json& offerings);
std::string offering_fields(const nlohmann::json& offering);
// GET /v1/ontologies: NAME, VERSION, LABEL, PROPERTIES (filterable marked *), PROVENANCE.
std::string kinds_table(const nlohmann::json& kinds);
// One kind: its fields, then a table of its properties.
std::string kind_fields(const nlohmann::json& kind);

// GET /v1/credentials: STATE, FORMAT, KIND, ISSUER, VALID UNTIL, ID.
std::string credentials_table(const nlohmann::json& credentials);
// One credential as POST /v1/credentials(/verify) answers it, its facts listed after it.
std::string credential_fields(const nlohmann::json& credential);
// GET /v1/facts: PREDICATE, OBJECT, ISSUER, VALID UNTIL.
std::string facts_table(const nlohmann::json& facts);

// One line per event. An MPLI event envelope ({"occurred_at", "payload", ...}) reads as
// "<id>  <occurred_at>  <type>  provider_id=...  offering.id=..." (what the payload is about);
// other data as "<id>  <type>  <data>".
std::string event_line(const ServerSentEvent& event);
// --json: {"id": ..., "event": ..., "data": <the data parsed, or the text when not JSON>}.
std::string event_json_line(const ServerSentEvent& event);

// "https://w3id.org/mpli#ISO27001" -> "mpli:ISO27001"; other IRIs unchanged.
std::string compact_iri(const std::string& iri);

}  // namespace mpli::cli
