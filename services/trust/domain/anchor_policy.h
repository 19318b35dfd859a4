// The hub's trust anchors: per credential type, the issuers (DIDs, issuer URLs) and root
// certificates it accepts. Parsed from the hub's configuration file or an admin's PUT, with
// errors that name the entry and field; answers "does this hub trust this issuer for this type".
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "libs/core/status.h"

namespace mpli::trust {

struct TrustAnchor {
  std::string credential_type;  // an IRI (mpli:CertificationCredential, ...) or "*" for any
  std::vector<std::string> issuers;
  std::vector<std::string> root_certificates;  // PEM text
  std::vector<std::string> root_fingerprints;  // SHA-256 hex of each root, filled by the caller
                                               // that parsed the PEM (domain code has no X.509)
  std::string label;
};

struct AnchorSet {
  std::vector<TrustAnchor> anchors;
  int64_t version = 0;

  // True when an anchor for `credential_type` (or "*") lists `issuer`, or lists the root
  // certificate (by fingerprint) that the credential's x5c chain ended at.
  bool accepts(const std::string& credential_type, const std::string& issuer,
               const std::string& trust_root) const;
  // Every root certificate of every anchor, for building the chain verifier.
  std::vector<std::string> all_root_certificates() const;
};

// {"anchors": [{"credential_type": "...", "issuers": [...], "root_certificates": [...],
//   "label": "..."}]}. Compact "mpli:X" types are expanded. Errors are kInvalidArgument with
// reason BAD_ANCHORS and "field" like "anchors[2].issuers[0]".
Result<AnchorSet> anchors_from_json(const nlohmann::json& document);
nlohmann::json anchors_to_json(const AnchorSet& anchors);

}  // namespace mpli::trust
