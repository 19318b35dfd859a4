// Manifests the integration and contract tests share, built from ontology/examples.
#pragma once

#include <string>

namespace mpli::testing {

// The Hexacloud example without its provider-wide consumer prerequisites, so a consumer with no
// verified facts gets answers (its virtual machine has no prerequisite of its own). Throws when
// the example no longer has the prerequisites line this removes.
std::string hexacloud_without_prerequisites();

// A consumer manifest (<https://consumer.example/m>, consumer <...#c> in FR) needing two virtual
// machines with at least 2 vCPUs from the provider whose mpli:providerId is `provider_id`.
std::string two_vms_consumer(const std::string& provider_id);

}  // namespace mpli::testing
