// Reading plain values out of an RDF graph, as the index and the manifest reader both do.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "libs/rdf/graph.h"

namespace mpli::resolver {

// A literal's value as a number (xsd:integer, xsd:decimal, xsd:double lexical forms); nullopt
// for anything else.
std::optional<double> number_of(const rdf::TermTable& terms, rdf::TermId literal);

// Every object of (subject, predicate, ?).
std::vector<rdf::TermId> objects_of(const rdf::Graph& graph, rdf::TermId subject,
                                    rdf::TermId predicate);

// The IRI, or "_:" and the label of a blank node: how resolutions name nodes.
std::string node_name(const rdf::TermTable& terms, rdf::TermId node);

}  // namespace mpli::resolver
