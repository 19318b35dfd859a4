// What `mpli resolve` prints: a resolution (the JSON of POST /v1/resolutions, docs/resolutions.md)
// as text a person reads, and a problem+json refusal as the lines that say why. Pure: no I/O.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace mpli::cli {

// A header line (id, currency, number of answers), then one row per answer: rank, score, monthly
// price and, one per line, each assignment as `requirement label -> offering name (provider_id,
// region country)`. When `satisfiable` is false: the diagnosis summary, the nearest misses with
// their failed constraints, and the providers that refuse the consumer. Lint warnings last.
// Missing members read as empty: a partial resolution prints what it has.
std::string format_resolution(const nlohmann::json& resolution);

// A refusal of the gateway: "HTTP <status> <title> (<reason>) [<field>]: <detail>", then the
// position of a syntax error, a refused credential's trust reason and the shape violations, one
// per line. `body` is the answer's text (problem+json, or anything else a proxy may send).
std::string format_problem(long http_status, const std::string& body);

}  // namespace mpli::cli
