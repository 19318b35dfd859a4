// Which provider or offering each node of a manifest belongs to, so a report on a nested node
// (a price, a service level, a delivery binding) can be grouped under the offering a person
// wrote, with its name and line, instead of under a blank-node label.
#pragma once

#include <string>
#include <vector>

#include "libs/core/status.h"
#include "libs/rdf/graph.h"
#include "libs/rdf/parser.h"

namespace mpli::discovery {

// A provider or offering that violations are grouped under, as a person knows it.
struct ManifestNode {
  std::string iri;
  std::string kind;  // "provider" or "offering"
  // The provider's legal name (mpli:legalPerson/schema:name), the offering's
  // (mpli:serviceOffering/schema:name); empty when the manifest gives none.
  std::string name;
  unsigned line = 0;  // where the node was written
  bool operator==(const ManifestNode& other) const;
};

// Sets each violation's owner (the IRI of the nearest mpli:Offering or mpli:Provider that
// reaches its focus node; the provider for a node several offerings share, such as a region)
// and returns the owners named, in the order their first violation appears.
std::vector<ManifestNode> assign_owners(const rdf::Graph& manifest,
                                        const rdf::NodePositions& positions,
                                        std::vector<Violation>& violations);

}  // namespace mpli::discovery
