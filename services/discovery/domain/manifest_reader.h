// Reads the catalogue's view of a provider manifest (provider identity and offering facts)
// from its RDF graph. The graph has already passed the manifest shapes; what the shapes do not
// guarantee is reported here as an error naming the node and property.
#pragma once

#include "libs/core/status.h"
#include "libs/rdf/graph.h"
#include "services/discovery/domain/offering.h"

namespace mpli::discovery {

inline constexpr const char* kMpli = "https://w3id.org/mpli#";

Result<ManifestSummary> read_manifest(const rdf::Graph& graph);

}  // namespace mpli::discovery
