// The local federation's credentials: a demo issuer (a trust anchor of the local hub) signs a
// credential for every claim the demo provider manifests make, which the demo provider servers
// then serve at the URLs the manifests name. One certification is signed by its provider itself
// on purpose, so the demo also shows a claim that stays a claim.
#pragma once

#include <string>
#include <vector>

#include "libs/core/status.h"

namespace mpli::cli {

struct DemoIssuer {
  std::string key_file;      // <state>/trust/demo-issuer.pem (mode 0600)
  std::string did;           // its did:key
  std::string anchors_file;  // <state>/trust/anchors.json: the demo issuer, for every kind
};

// Creates the demo issuer's key on first use and (re)writes the anchors file.
Result<DemoIssuer> prepare_demo_issuer(const std::string& state_dir);

struct DemoProviderCredentials {
  std::string files_dir;  // what the demo provider serves: <dir>/<URL path>
  std::string domain;     // the manifest's mpli:domain
  int issued = 0;
  std::vector<std::string> untrusted;  // claims left unverifiable on purpose (for the log)
};

// Reads `manifest` and writes a credential for each of its mpli:credential pointers under
// `out_dir`, at the path of its URL.
Result<DemoProviderCredentials> issue_demo_credentials(const DemoIssuer& issuer,
                                                       const std::string& manifest,
                                                       const std::string& out_dir);

// The demo consumers' own credentials (ontology/examples/consumer-*.ttl): a legal identity
// with the country of the consumer's legal address, and a Gaia-X compliance credential, each
// about the manifest's mpli:Consumer node, signed by the demo issuer. `mpli up` submits them
// (POST /v1/credentials) so `mpli resolve` finds the consumers verified, as a real consumer
// would after onboarding.
struct DemoConsumerCredential {
  std::string consumer;  // the mpli:Consumer IRI
  std::string kind;      // "legal identity" or "Gaia-X compliance"
  std::string token;
};
Result<std::vector<DemoConsumerCredential>> issue_demo_consumer_credentials(
    const DemoIssuer& issuer, const std::string& consumer_manifest);

}  // namespace mpli::cli
