// The manifest reference (docs/manifest-reference.md) rendered from SHACL shapes graphs: per
// target, every property with its cardinality, values, unit, example and sh:message; and per
// kind of service (ontology/kinds/*.ttl), the properties its offerings state, with their
// catalogue filters.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "libs/rdf/graph.h"

namespace mpli::manifest_reference {

// One shapes file. Sections and properties are listed in the order their nodes first appear in
// the file, which the term ids give only when the graph was parsed into a TermTable of its own
// (ids are handed out in parse order).
struct ShapesDocument {
  std::string title;   // "Provider manifest"
  std::string source;  // repository-relative path shown and linked from docs/
  const rdf::Graph* graph = nullptr;
};

// One kind vocabulary (docs/service-kinds.md): a node typed mpli:OfferingKind, with its label,
// comment, mpli:kindVersion and mpli:kindShape, a sh:NodeShape without targets that the hub
// applies to every offering of the kind. Parsed into a TermTable of its own, as a ShapesDocument.
struct KindDocument {
  std::string source;  // repository-relative path shown and linked from docs/
  const rdf::Graph* graph = nullptr;
};

struct ReferenceInput {
  std::vector<ShapesDocument> documents;
  // The kind vocabularies, in the order given (main sorts them by file name), rendered as
  // "Kinds of service" after the first document (the provider manifest, whose offerings they
  // apply to). Their labels and comments come first from the vocabulary itself, then from
  // `vocabulary`.
  std::vector<KindDocument> kinds;
  // Labels and comments of the concepts (ontology/mpli.ttl), looked up by IRI; may be null.
  const rdf::Graph* vocabulary = nullptr;
  // How to regenerate the file, quoted in its first line.
  std::string command;
};

// The Markdown reference. Deterministic: the same input gives the same bytes.
std::string render_reference(const ReferenceInput& input);

// Where a checked-in file differs from the freshly rendered one.
struct LineDifference {
  size_t line = 0;  // 1-based
  std::string expected;
  std::string actual;
};

// The first line where `checked_in` differs from `rendered` (a missing line is ""), or nullopt
// when they are equal.
std::optional<LineDifference> first_difference(std::string_view rendered,
                                               std::string_view checked_in);

}  // namespace mpli::manifest_reference
