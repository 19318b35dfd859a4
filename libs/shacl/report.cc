#include "libs/shacl/report.h"

namespace mpli::shacl {
namespace {

using rdf::kNoTerm;

TermId write_list(const std::vector<Path>& items, const Vocabulary& sh, rdf::Graph& graph) {
  rdf::TermTable& terms = graph.terms();
  const auto& wk = terms.well_known();
  TermId head = wk.rdf_nil;
  for (auto it = items.rbegin(); it != items.rend(); ++it) {
    TermId cell = terms.fresh_blank();
    graph.add(cell, wk.rdf_first, write_path(*it, sh, graph));
    graph.add(cell, wk.rdf_rest, head);
    head = cell;
  }
  return head;
}

std::string path_text(const Path& path, const rdf::TermTable& terms) {
  switch (path.kind) {
    case Path::Kind::kPredicate: return terms.to_ntriples(path.predicate);
    case Path::Kind::kInverse: return "^" + path_text(path.steps.front(), terms);
    case Path::Kind::kZeroOrMore: return "(" + path_text(path.steps.front(), terms) + ")*";
    case Path::Kind::kOneOrMore: return "(" + path_text(path.steps.front(), terms) + ")+";
    case Path::Kind::kZeroOrOne: return "(" + path_text(path.steps.front(), terms) + ")?";
    case Path::Kind::kSequence:
    case Path::Kind::kAlternative: {
      std::string out = "(";
      for (size_t i = 0; i < path.steps.size(); ++i) {
        if (i > 0) out += path.kind == Path::Kind::kSequence ? "/" : "|";
        out += path_text(path.steps[i], terms);
      }
      return out + ")";
    }
  }
  return {};
}

}  // namespace

TermId write_path(const Path& path, const Vocabulary& sh, rdf::Graph& graph) {
  rdf::TermTable& terms = graph.terms();
  if (path.kind == Path::Kind::kPredicate) return path.predicate;
  if (path.kind == Path::Kind::kSequence) return write_list(path.steps, sh, graph);
  TermId node = terms.fresh_blank();
  switch (path.kind) {
    case Path::Kind::kAlternative:
      graph.add(node, sh.alternative_path, write_list(path.steps, sh, graph));
      break;
    case Path::Kind::kInverse:
      graph.add(node, sh.inverse_path, write_path(path.steps.front(), sh, graph));
      break;
    case Path::Kind::kZeroOrMore:
      graph.add(node, sh.zero_or_more_path, write_path(path.steps.front(), sh, graph));
      break;
    case Path::Kind::kOneOrMore:
      graph.add(node, sh.one_or_more_path, write_path(path.steps.front(), sh, graph));
      break;
    case Path::Kind::kZeroOrOne:
      graph.add(node, sh.zero_or_one_path, write_path(path.steps.front(), sh, graph));
      break;
    default:
      break;
  }
  return node;
}

std::string describe(const ValidationResult& r, const ShapesProgram& program) {
  const rdf::TermTable& terms = *program.terms;
  const Shape& shape = program.shapes[r.shape];
  std::string out = std::string(component_name(r.component));
  std::string_view suffix = "ConstraintComponent";
  out.resize(out.size() - suffix.size());
  out = "violates " + out;
  if (r.path_predicate != kNoTerm) {
    out += " at path " + terms.to_ntriples(r.path_predicate);
  } else if (shape.is_property) {
    out += " at path " + path_text(shape.path, terms);
  }
  if (r.value != kNoTerm) out += " with value " + terms.to_ntriples(r.value);
  out += " (focus " + terms.to_ntriples(r.focus) + ", shape " + terms.to_ntriples(shape.node) + ")";
  return out;
}

rdf::Graph report_graph(const ValidationReport& report, const ShapesProgram& program) {
  rdf::Graph graph(program.terms);
  rdf::TermTable& terms = graph.terms();
  const Vocabulary& sh = *program.vocab;
  const auto& wk = terms.well_known();
  TermId node = terms.fresh_blank();
  graph.add(node, wk.rdf_type, sh.validation_report);
  graph.add(node, sh.conforms, report.conforms ? wk.xsd_true : wk.xsd_false);
  std::string sh_ns(kShNamespace);
  for (const ValidationResult& r : report.results) {
    const Shape& shape = program.shapes[r.shape];
    TermId result = terms.fresh_blank();
    graph.add(node, sh.result, result);
    graph.add(result, wk.rdf_type, sh.validation_result);
    graph.add(result, sh.focus_node, r.focus);
    if (r.path_predicate != kNoTerm) {
      graph.add(result, sh.result_path, r.path_predicate);
    } else if (shape.is_property) {
      graph.add(result, sh.result_path, write_path(shape.path, sh, graph));
    }
    if (r.value != kNoTerm) graph.add(result, sh.value, r.value);
    graph.add(result, sh.source_shape, shape.node);
    graph.add(result, sh.source_constraint_component,
              terms.iri(sh_ns + std::string(component_name(r.component))));
    graph.add(result, sh.result_severity, shape.severity);
    if (shape.messages.empty()) {
      graph.add(result, sh.result_message, terms.literal(describe(r, program)));
    } else {
      for (TermId m : shape.messages) graph.add(result, sh.result_message, m);
    }
  }
  return graph;
}

std::vector<std::pair<std::string, std::string>> report_prefixes() {
  return {{"sh", std::string(kShNamespace)},
          {"xsd", "http://www.w3.org/2001/XMLSchema#"},
          {"rdf", "http://www.w3.org/1999/02/22-rdf-syntax-ns#"},
          {"rdfs", "http://www.w3.org/2000/01/rdf-schema#"}};
}

}  // namespace mpli::shacl
