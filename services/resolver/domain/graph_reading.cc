#include "services/resolver/domain/graph_reading.h"

#include <cstdlib>

namespace mpli::resolver {

std::optional<double> number_of(const rdf::TermTable& terms, rdf::TermId literal) {
  if (literal == rdf::kNoTerm || !terms.is_literal(literal)) return std::nullopt;
  std::string text(terms.value(literal));
  char* end = nullptr;
  double value = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || *end != '\0') return std::nullopt;
  return value;
}

std::vector<rdf::TermId> objects_of(const rdf::Graph& graph, rdf::TermId subject,
                                    rdf::TermId predicate) {
  std::vector<rdf::TermId> out;
  for (const rdf::Triple& t : graph.with_subject_predicate(subject, predicate)) {
    out.push_back(t.o);
  }
  return out;
}

std::string node_name(const rdf::TermTable& terms, rdf::TermId node) {
  if (node == rdf::kNoTerm) return "";
  return terms.is_blank(node) ? "_:" + std::string(terms.value(node))
                              : std::string(terms.value(node));
}

}  // namespace mpli::resolver
