// Writes a Graph as Turtle (prefixed names, grouped subjects, inlined blank nodes) or N-Triples.
// Output is deterministic for a given graph, which keeps reports diffable.
#pragma once

#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "libs/rdf/graph.h"

namespace mpli::rdf {

// Prefixes used in addition to the graph's own (for example sh: for reports).
using PrefixList = std::vector<std::pair<std::string, std::string>>;

void write_turtle(const Graph& graph, std::ostream& out, const PrefixList& extra_prefixes = {});
void write_ntriples(const Graph& graph, std::ostream& out);
std::string to_turtle(const Graph& graph, const PrefixList& extra_prefixes = {});
std::string to_ntriples(const Graph& graph);

}  // namespace mpli::rdf
