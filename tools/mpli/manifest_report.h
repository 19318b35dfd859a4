// `mpli manifest check`'s report: what the hub's check of a provider manifest found, for a
// person reading top-down (results grouped by the provider and offering they belong to, each
// with the line and column of its node) or as JSON for tools. Plain functions, no I/O.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "services/discovery/domain/manifest_check.h"

namespace mpli::cli {

// IRIs of the namespaces manifests use written as prefix:local ("<https://w3id.org/mpli#vcpu>"
// becomes "mpli:vcpu"); anything else unchanged.
std::string compact_iris(const std::string& text);

// The report as text. `file` names the manifest as the person gave it.
std::string manifest_report_text(const std::string& file, const discovery::CheckOutcome& outcome);

// {"file", "accepted", "reason"?, "message"?, "line"?, "column"?, "violations": [...],
//  "warnings": [...], "owners": [{"iri", "kind", "name", "line"}]}; violations in the hub's 422
// form (libs/core/violation_json.h).
nlohmann::json manifest_report_json(const std::string& file,
                                    const discovery::CheckOutcome& outcome);

// The Gaia-X 25.11 shapes' results on a manifest (`--gaia-x`), grouped like the hub's.
struct GaiaXResults {
  std::string shapes_file;
  std::vector<Violation> violations;
  std::vector<discovery::ManifestNode> owners;
  bool conforms() const;
};

// "Gaia-X 25.11 shapes (FILE): ..." and the results grouped by provider and offering.
std::string gaia_x_report_text(const std::string& file, const GaiaXResults& results);
// {"shapes", "conforms", "violations", "owners"}.
nlohmann::json gaia_x_report_json(const GaiaXResults& results);

// {"file", "accepted": true, "kind": "consumer", "requirements", "violations": [],
//  "warnings": [], "owners": []}: an accepted consumer manifest.
nlohmann::json consumer_accepted_json(const std::string& file, size_t requirements);

}  // namespace mpli::cli
