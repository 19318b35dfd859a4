#include "libs/shacl/report.h"

#include <algorithm>
#include <unordered_set>

#include "libs/rdf/literal.h"

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
    case Path::Kind::kPredicate:
      return terms.to_ntriples(path.predicate);
    case Path::Kind::kInverse:
      return "^" + path_text(path.steps.front(), terms);
    case Path::Kind::kZeroOrMore:
      return "(" + path_text(path.steps.front(), terms) + ")*";
    case Path::Kind::kOneOrMore:
      return "(" + path_text(path.steps.front(), terms) + ")+";
    case Path::Kind::kZeroOrOne:
      return "(" + path_text(path.steps.front(), terms) + ")?";
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

std::string path_to_string(const Path& path, const rdf::TermTable& terms) {
  return path_text(path, terms);
}

std::string describe_failure(const ValidationResult& r, const ShapesProgram& program) {
  const rdf::TermTable& terms = *program.terms;
  const Shape& shape = program.shapes[r.shape];
  const Constraint* c =
      r.constraint < shape.constraints.size() ? &shape.constraints[r.constraint] : nullptr;
  auto nt = [&](TermId id) { return id == kNoTerm ? std::string("?") : terms.to_ntriples(id); };
  TermId param = c != nullptr ? c->term : kNoTerm;
  std::string n = c != nullptr ? std::to_string(c->number) : "?";
  auto operand = [&]() {
    return c != nullptr && !c->shapes.empty() ? nt(program.shapes[c->shapes.front()].node)
                                              : std::string("?");
  };
  std::string what;
  bool comparable = r.value == kNoTerm || param == kNoTerm ||
                    rdf::compare_values(terms, r.value, param).has_value();
  switch (r.component) {
    case Component::kClass:
      what = "value is not an instance of " + nt(param);
      break;
    case Component::kDatatype:
      what = "value is not a well-formed literal of datatype " + nt(param);
      break;
    case Component::kNodeKind:
      what = "value is not of node kind " + nt(param);
      break;
    case Component::kMinCount:
      what = "fewer than " + n + " values";
      break;
    case Component::kMaxCount:
      what = "more than " + n + " values";
      break;
    case Component::kMinExclusive:
    case Component::kMinInclusive:
    case Component::kMaxExclusive:
    case Component::kMaxInclusive:
      if (!comparable) {
        what = "value cannot be compared with the bound " + nt(param);
      } else if (r.component == Component::kMinExclusive) {
        what = "value is not greater than " + nt(param);
      } else if (r.component == Component::kMinInclusive) {
        what = "value is less than " + nt(param);
      } else if (r.component == Component::kMaxExclusive) {
        what = "value is not less than " + nt(param);
      } else {
        what = "value is greater than " + nt(param);
      }
      break;
    case Component::kMinLength:
      what = "value is shorter than " + n + " characters";
      break;
    case Component::kMaxLength:
      what = "value is longer than " + n + " characters";
      break;
    case Component::kPattern:
      what = "value does not match the pattern " + nt(param);
      break;
    case Component::kLanguageIn: {
      what = "language tag is not one of";
      if (c != nullptr) {
        for (const std::string& range : c->strings) what += " \"" + range + "\"";
      }
      break;
    }
    case Component::kUniqueLang:
      what = "more than one value uses the same language tag";
      break;
    case Component::kEquals:
      what = "value sets of the path and " + nt(param) + " differ";
      break;
    case Component::kDisjoint:
      what = "value is also a value of " + nt(param);
      break;
    case Component::kLessThan:
      what = "value is not less than every value of " + nt(param);
      break;
    case Component::kLessThanOrEquals:
      what = "value is greater than a value of " + nt(param);
      break;
    case Component::kNot:
      what = "value conforms to " + operand() + ", which sh:not forbids";
      break;
    case Component::kAnd:
      what = "value does not conform to all shapes of sh:and";
      break;
    case Component::kOr:
      what = "value conforms to none of the shapes of sh:or";
      break;
    case Component::kXone:
      what = "value does not conform to exactly one shape of sh:xone";
      break;
    case Component::kNode:
      what = "value does not conform to " + operand();
      break;
    case Component::kProperty:
      what = "property shape " + operand() + " is violated";
      break;
    case Component::kQualifiedMinCount:
      what = "fewer than " + n + " values conform to " + operand();
      break;
    case Component::kQualifiedMaxCount:
      what = "more than " + n + " values conform to " + operand();
      break;
    case Component::kClosed:
      what = "predicate is not allowed by the closed shape";
      break;
    case Component::kHasValue:
      what = "the required value " + nt(param) + " is missing";
      break;
    case Component::kIn:
      what = "value is not one of the allowed values";
      break;
  }
  return what;
}

std::string describe(const ValidationResult& r, const ShapesProgram& program) {
  const rdf::TermTable& terms = *program.terms;
  const Shape& shape = program.shapes[r.shape];
  auto nt = [&](TermId id) { return id == kNoTerm ? std::string("?") : terms.to_ntriples(id); };
  std::string out =
      describe_failure(r, program) + " (" + std::string(component_name(r.component)) + ";";
  out += " focus " + nt(r.focus);
  if (r.path_predicate != kNoTerm) {
    out += ", path " + nt(r.path_predicate);
  } else if (shape.is_property) {
    out += ", path " + path_text(shape.path, terms);
  }
  if (r.value != kNoTerm) out += ", value " + nt(r.value);
  out += ", shape " + nt(shape.node) + ")";
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

nlohmann::json report_json(const ValidationReport& report, const ShapesProgram& program) {
  const rdf::TermTable& terms = *program.terms;
  nlohmann::json results = nlohmann::json::array();
  for (const ValidationResult& r : report.results) {
    const Shape& shape = program.shapes[r.shape];
    nlohmann::json j;
    j["focusNode"] = terms.to_ntriples(r.focus);
    if (r.path_predicate != rdf::kNoTerm) {
      j["resultPath"] = terms.to_ntriples(r.path_predicate);
    } else if (shape.is_property) {
      j["resultPath"] = path_to_string(shape.path, terms);
    }
    if (r.value != rdf::kNoTerm) j["value"] = terms.to_ntriples(r.value);
    j["sourceShape"] = terms.to_ntriples(shape.node);
    j["sourceConstraintComponent"] =
        std::string(kShNamespace) + std::string(component_name(r.component));
    j["resultSeverity"] = std::string(terms.value(shape.severity));
    nlohmann::json messages = nlohmann::json::array();
    for (rdf::TermId m : shape.messages) messages.push_back(std::string(terms.value(m)));
    if (messages.empty()) messages.push_back(describe(r, program));
    j["resultMessage"] = messages;
    results.push_back(std::move(j));
  }
  return nlohmann::json{{"conforms", report.conforms}, {"results", results}};
}

std::vector<Violation> report_violations(const ValidationReport& report,
                                         const ShapesProgram& program,
                                         const rdf::NodePositions* positions) {
  const rdf::TermTable& terms = *program.terms;
  std::vector<Violation> violations;
  std::unordered_set<std::string> seen;  // focus, path, value and message of each kept result
  for (const ValidationResult& r : report.results) {
    const Shape& shape = program.shapes[r.shape];
    Violation v;
    v.focus_node = terms.to_ntriples(r.focus);
    if (r.path_predicate != rdf::kNoTerm) {
      v.path = terms.to_ntriples(r.path_predicate);
    } else if (shape.is_property) {
      v.path = path_to_string(shape.path, terms);
    }
    if (r.value != rdf::kNoTerm) v.value = terms.to_ntriples(r.value);
    v.constraint = std::string(kShNamespace) + std::string(component_name(r.component));
    v.severity = std::string(terms.value(shape.severity));
    v.message = shape.messages.empty() ? describe(r, program)
                                       : std::string(terms.value(shape.messages.front()));
    if (positions != nullptr) {
      auto at = positions->find(r.focus);
      if (at != positions->end()) {
        v.line = at->second.line;
        v.column = at->second.column;
      }
    }
    // A set, not a scan of what was kept: a hostile manifest can break tens of thousands of
    // constraints, and comparing each result with every earlier one would be quadratic.
    std::string key = v.focus_node + '\0' + v.path + '\0' + v.value + '\0' + v.message;
    if (seen.insert(std::move(key)).second) violations.push_back(std::move(v));
  }
  return violations;
}

}  // namespace mpli::shacl
