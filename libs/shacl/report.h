// Turns validation results into the SHACL validation report graph (sh:ValidationReport with its
// sh:result nodes) and into human-readable messages.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "libs/core/status.h"
#include "libs/rdf/graph.h"
#include "libs/rdf/parser.h"
#include "libs/shacl/shapes.h"
#include "libs/shacl/validator.h"

namespace mpli::shacl {

// Writes the path as SHACL path RDF (fresh blank nodes and lists) into `graph`; returns its node.
TermId write_path(const Path& path, const Vocabulary& sh, rdf::Graph& graph);

// The report as RDF, in a graph sharing the program's TermTable. Results get the shape's
// sh:message values, or one generated message when the shape has none.
rdf::Graph report_graph(const ValidationReport& report, const ShapesProgram& program);

// SPARQL-like text of a path: <p>, ^<p>, (<p>/<q>), (<p>|<q>), (<p>)*, (<p>)+, (<p>)?
std::string path_to_string(const Path& path, const rdf::TermTable& terms);

// A one-line English explanation of a result, naming the constraint, path and value.
std::string describe(const ValidationResult& result, const ShapesProgram& program);
// Only what failed, e.g. `value is less than "16"^^<...#integer>`: for callers that report the
// focus, path, value and shape in fields of their own (the resolver's explanations).
std::string describe_failure(const ValidationResult& result, const ShapesProgram& program);

// Prefixes that make reports readable (sh:, xsd:, rdf:, rdfs:).
std::vector<std::pair<std::string, std::string>> report_prefixes();

// The report as JSON: {"conforms": bool, "results": [{"focusNode", "resultPath", "value",
// "sourceShape", "sourceConstraintComponent", "resultSeverity", "resultMessage": [...]}]},
// terms in N-Triples form. Used by `mpli shacl validate --report json` and by discovery.
nlohmann::json report_json(const ValidationReport& report, const ShapesProgram& program);

// The results as Violations (terms in N-Triples form, a result's first message), in report order
// with exact repeats left out: two constraints of one shape failing on one value with one
// sh:message are one problem to the person reading. With `positions`, each violation carries
// the line and column where its focus node was written.
std::vector<Violation> report_violations(const ValidationReport& report,
                                         const ShapesProgram& program,
                                         const rdf::NodePositions* positions = nullptr);

}  // namespace mpli::shacl
