#include "tools/manifest-reference/manifest_reference.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <map>
#include <sstream>
#include <utility>

namespace mpli::manifest_reference {
namespace {

using rdf::Graph;
using rdf::kNoTerm;
using rdf::TermId;

constexpr std::string_view kSh = "http://www.w3.org/ns/shacl#";
using rdf::iri::kRdf;
using rdf::iri::kXsd;
constexpr std::string_view kRdfs = "http://www.w3.org/2000/01/rdf-schema#";
constexpr std::string_view kSkos = "http://www.w3.org/2004/02/skos/core#";
constexpr std::string_view kMpli = "https://w3id.org/mpli#";
constexpr uint64_t kUnbounded = std::numeric_limits<uint64_t>::max();

std::string cat(std::string_view a, std::string_view b) {
  std::string s(a);
  s += b;
  return s;
}

// The ids of the terms the renderer reads, looked up (never interned) in one graph's table;
// kNoTerm where the graph does not use a term.
struct Terms {
  explicit Terms(const Graph& g) {
    const rdf::TermTable& t = g.terms();
    auto sh = [&](std::string_view local) { return t.find_iri(cat(kSh, local)); };
    node_shape = sh("NodeShape");
    target_class = sh("targetClass");
    target_objects_of = sh("targetObjectsOf");
    target_subjects_of = sh("targetSubjectsOf");
    target_node = sh("targetNode");
    property = sh("property");
    path = sh("path");
    inverse_path = sh("inversePath");
    alternative_path = sh("alternativePath");
    zero_or_more_path = sh("zeroOrMorePath");
    one_or_more_path = sh("oneOrMorePath");
    zero_or_one_path = sh("zeroOrOnePath");
    message = sh("message");
    min_count = sh("minCount");
    max_count = sh("maxCount");
    datatype = sh("datatype");
    klass = sh("class");
    node_kind = sh("nodeKind");
    in = sh("in");
    has_value = sh("hasValue");
    min_inclusive = sh("minInclusive");
    min_exclusive = sh("minExclusive");
    max_inclusive = sh("maxInclusive");
    max_exclusive = sh("maxExclusive");
    min_length = sh("minLength");
    max_length = sh("maxLength");
    pattern = sh("pattern");
    flags = sh("flags");
    node = sh("node");
    sh_not = sh("not");
    sh_and = sh("and");
    sh_or = sh("or");
    sh_xone = sh("xone");
    qualified_value_shape = sh("qualifiedValueShape");
    qualified_min_count = sh("qualifiedMinCount");
    qualified_max_count = sh("qualifiedMaxCount");
    equals = sh("equals");
    disjoint = sh("disjoint");
    less_than = sh("lessThan");
    less_than_or_equals = sh("lessThanOrEquals");
    closed = sh("closed");
    language_in = sh("languageIn");
    unique_lang = sh("uniqueLang");
    name = sh("name");
    rdf_type = t.find_iri(cat(kRdf, "type"));
    example = t.find_iri(cat(kSkos, "example"));
    auto mpli = [&](std::string_view local) { return t.find_iri(cat(kMpli, local)); };
    unit = mpli("unit");
    filterable = mpli("filterable");
    offering_kind = mpli("OfferingKind");
    kind_version = mpli("kindVersion");
    kind_shape = mpli("kindShape");
  }
  TermId node_shape, target_class, target_objects_of, target_subjects_of, target_node, property,
      path, inverse_path, alternative_path, zero_or_more_path, one_or_more_path, zero_or_one_path,
      message, min_count, max_count, datatype, klass, node_kind, in, has_value, min_inclusive,
      min_exclusive, max_inclusive, max_exclusive, min_length, max_length, pattern, flags, node,
      sh_not, sh_and, sh_or, sh_xone, qualified_value_shape, qualified_min_count,
      qualified_max_count, equals, disjoint, less_than, less_than_or_equals, closed, language_in,
      unique_lang, name, rdf_type, example, unit, filterable, offering_kind, kind_version,
      kind_shape;
};

// Objects of (s, p), in the order they were first written (term ids follow parse order).
std::vector<TermId> objects(const Graph& g, TermId s, TermId p) {
  std::vector<TermId> out;
  if (s == kNoTerm || p == kNoTerm) return out;
  for (const rdf::Triple& t : g.with_subject_predicate(s, p)) out.push_back(t.o);
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<TermId> list_members(const Graph& g, TermId head) {
  std::vector<TermId> out;
  if (!g.list(head, &out)) out.clear();
  return out;
}

bool is_local_name(std::string_view s) {
  if (s.empty()) return true;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
  });
}

// Markdown-safe prose: '<' would open an HTML tag ("https://<domain>/" loses "<domain>").
std::string prose(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '<') {
      out += "&lt;";
    } else if (c == '\n') {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

// A table cell: a '|', even inside a code span, would end the cell.
std::string cell(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '|') out += '\\';
    out += c;
  }
  return out;
}

std::string code(std::string_view s) {
  return s.find('`') == std::string_view::npos ? cat(cat("`", s), "`") : cat(cat("`` ", s), " ``");
}

std::string capitalised(std::string s) {
  if (!s.empty() && s[0] >= 'a' && s[0] <= 'z') s[0] = static_cast<char>(s[0] - 'a' + 'A');
  return s;
}

std::string join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += sep;
    out += parts[i];
  }
  return out;
}

// "a", "a and b", "a, b and c".
std::string join_and(const std::vector<std::string>& parts, std::string_view conjunction) {
  if (parts.size() < 2) return join(parts, "");
  std::vector<std::string> head(parts.begin(), parts.end() - 1);
  return join(head, ", ") + " " + std::string(conjunction) + " " + parts.back();
}

// The part of an IRI after its last '#' or '/': a kind's or a property's name in the catalogue.
std::string_view local_name(std::string_view iri) {
  size_t cut = iri.find_last_of("#/");
  return cut == std::string_view::npos ? iri : iri.substr(cut + 1);
}

// "ontology/kinds/" for "ontology/kinds/gpu-instance.ttl".
std::string_view directory_of(std::string_view path) {
  size_t cut = path.rfind('/');
  return cut == std::string_view::npos ? std::string_view() : path.substr(0, cut + 1);
}

// The datatypes the catalogue compares as numbers, so that min_ and max_ filter on them (as
// KindProperty::numeric in services/discovery decides).
bool numeric_datatype(std::string_view iri) {
  if (iri.substr(0, kXsd.size()) != kXsd) return false;
  std::string_view local = iri.substr(kXsd.size());
  for (std::string_view number :
       {"integer", "decimal", "double", "int", "long", "nonNegativeInteger", "positiveInteger"}) {
    if (local == number) return true;
  }
  return false;
}

// Labels and definitions from vocabulary graphs, by IRI text: the first graph that has an
// answer gives it.
class Vocabulary {
 public:
  explicit Vocabulary(const std::vector<const Graph*>& graphs) {
    for (const Graph* g : graphs) {
      if (g != nullptr) graphs_.push_back(g);
    }
  }

  std::string label(std::string_view iri) const {
    return first_text(iri, {cat(kSkos, "prefLabel"), cat(kRdfs, "label")});
  }
  std::string comment(std::string_view iri) const {
    return first_text(iri, {cat(kRdfs, "comment"), cat(kSkos, "definition")});
  }
  // Instances of `klass` in the vocabulary (the concepts of a closed or open list), in the order
  // written.
  std::vector<std::string> instances(std::string_view klass) const {
    std::vector<std::string> out;
    if (klass.empty()) return out;
    for (const Graph* g : graphs_) {
      TermId k = g->terms().find_iri(klass);
      TermId type = g->terms().find_iri(cat(kRdf, "type"));
      if (k == kNoTerm || type == kNoTerm) continue;
      std::vector<TermId> ids;
      for (const rdf::Triple& t : g->with_predicate_object(type, k)) ids.push_back(t.s);
      std::sort(ids.begin(), ids.end());
      for (TermId id : ids) {
        std::string iri(g->terms().value(id));
        if (g->terms().is_iri(id) && std::find(out.begin(), out.end(), iri) == out.end()) {
          out.push_back(std::move(iri));
        }
      }
    }
    return out;
  }

  std::string range(std::string_view iri) const {
    for (const Graph* g : graphs_) {
      TermId s = g->terms().find_iri(iri);
      TermId p = g->terms().find_iri(cat(kRdfs, "range"));
      for (TermId o : objects(*g, s, p)) {
        if (g->terms().is_iri(o)) return std::string(g->terms().value(o));
      }
    }
    return {};
  }

 private:
  // The English (or untagged) text of the first predicate that has one, in the first graph that
  // has one.
  std::string first_text(std::string_view iri, const std::vector<std::string>& predicates) const {
    for (const Graph* g : graphs_) {
      const rdf::TermTable& t = g->terms();
      TermId s = t.find_iri(iri);
      if (s == kNoTerm) continue;
      for (const std::string& predicate : predicates) {
        for (TermId o : objects(*g, s, t.find_iri(predicate))) {
          if (t.is_literal(o) && (t.lang(o).empty() || t.lang(o) == "en")) {
            return std::string(t.value(o));
          }
        }
      }
    }
    return {};
  }

  std::vector<const Graph*> graphs_;
};

// Renders terms, paths and constraints of one shapes graph.
class ShapesReader {
 public:
  ShapesReader(const Graph& g, const Vocabulary& vocab) : g_(g), t_(g), vocab_(vocab) {}

  const Graph& graph() const { return g_; }
  const Terms& terms() const { return t_; }
  const Vocabulary& vocabulary() const { return vocab_; }

  std::vector<TermId> objects_of(TermId s, TermId p) const { return objects(g_, s, p); }
  TermId first(TermId s, TermId p) const {
    std::vector<TermId> o = objects(g_, s, p);
    return o.empty() ? kNoTerm : o.front();
  }

  std::string iri_text(TermId id) const { return std::string(g_.terms().value(id)); }

  // mpli:Offering for a declared prefix, <iri> otherwise; the longest namespace wins, the first
  // declared among equals.
  std::string compact(TermId id) const { return compact(g_.terms().value(id)); }
  std::string compact(std::string_view iri) const {
    const std::pair<std::string, std::string>* best = nullptr;
    for (const auto& prefix : g_.prefixes()) {
      const std::string& ns = prefix.second;
      if (iri.size() > ns.size() && iri.compare(0, ns.size(), ns) == 0 &&
          is_local_name(iri.substr(ns.size())) &&
          (best == nullptr || ns.size() > best->second.size())) {
        best = &prefix;
      }
    }
    if (best == nullptr) return cat(cat("<", iri), ">");
    return cat(cat(best->first, ":"), iri.substr(best->second.size()));
  }

  // A term as it would be written in Turtle.
  std::string turtle(TermId id) const {
    const rdf::TermTable& t = g_.terms();
    if (t.is_iri(id)) return compact(id);
    if (t.is_blank(id)) return "[]";
    std::string_view lexical = t.value(id);
    std::string_view datatype = t.datatype(id) == kNoTerm ? "" : t.value(t.datatype(id));
    if (datatype == cat(kXsd, "integer") || datatype == cat(kXsd, "decimal") ||
        datatype == cat(kXsd, "boolean")) {
      return std::string(lexical);
    }
    std::string quoted = "\"";
    for (char c : lexical) {
      if (c == '"' || c == '\\') quoted += '\\';
      quoted += c;
    }
    quoted += '"';
    if (!t.lang(id).empty()) return cat(cat(quoted, "@"), t.lang(id));
    if (datatype.empty() || datatype == cat(kXsd, "string") ||
        datatype == rdf::iri::kRdfLangString) {
      return quoted;
    }
    return cat(cat(quoted, "^^"), compact(t.datatype(id)));
  }

  // A value with its vocabulary label: `mpli:Support24x7` (24 hours, 7 days).
  std::string labelled(TermId id) const {
    if (g_.terms().is_iri(id)) return labelled(g_.terms().value(id));
    return code(turtle(id));
  }
  std::string labelled(std::string_view iri) const {
    std::string out = code(compact(iri));
    std::string label = vocab_.label(iri);
    if (!label.empty()) out += " (" + prose(label) + ")";
    return out;
  }

  // SPARQL property path syntax: a/b sequence, ^p inverse, (a|b) alternatives, p*, p+, p?.
  std::string path(TermId p) const {
    const rdf::TermTable& t = g_.terms();
    if (t.is_iri(p)) return compact(p);
    DepthGuard guard(depth_);
    if (depth_ > kMaxDepth) return "...";
    std::vector<TermId> sequence = list_members(g_, p);
    if (!sequence.empty()) {
      std::vector<std::string> steps;
      steps.reserve(sequence.size());
      for (TermId step : sequence) steps.push_back(path(step));
      return join(steps, "/");
    }
    if (TermId x = first(p, t_.inverse_path); x != kNoTerm) return "^" + grouped(x);
    if (TermId x = first(p, t_.alternative_path); x != kNoTerm) {
      std::vector<std::string> options;
      for (TermId option : list_members(g_, x)) options.push_back(path(option));
      return "(" + join(options, "|") + ")";
    }
    if (TermId x = first(p, t_.zero_or_more_path); x != kNoTerm) return grouped(x) + "*";
    if (TermId x = first(p, t_.one_or_more_path); x != kNoTerm) return grouped(x) + "+";
    if (TermId x = first(p, t_.zero_or_one_path); x != kNoTerm) return grouped(x) + "?";
    return "?";
  }

  // What a shape requires of its value nodes, as phrases ("`xsd:integer`", "from 1 to 4096",
  // "one of ..."), without counts. `inline_properties`: also the shape's sh:property
  // constraints, for shapes nested in sh:or and the like.
  std::vector<std::string> value_phrases(TermId shape, bool inline_properties) const {
    std::vector<std::string> out;
    auto each = [&](TermId p, auto&& phrase) {
      for (TermId o : objects_of(shape, p)) out.push_back(phrase(o));
    };
    each(t_.node_kind, [&](TermId o) { return node_kind(o); });
    each(t_.datatype, [&](TermId o) { return code(compact(o)); });
    each(t_.klass, [&](TermId o) { return "typed " + labelled(o); });
    each(t_.in, [&](TermId o) {
      std::vector<std::string> members;
      for (TermId m : list_members(g_, o)) members.push_back(labelled(m));
      return "one of " + join(members, ", ");
    });
    each(t_.has_value, [&](TermId o) { return "includes " + labelled(o); });
    std::string range = numeric_range(shape);
    if (!range.empty()) out.push_back(range);
    std::string length = length_range(shape);
    if (!length.empty()) out.push_back(length);
    each(t_.pattern, [&](TermId o) {
      std::string flags;
      if (TermId f = first(shape, t_.flags); f != kNoTerm) {
        flags = " (flags " + code(g_.terms().value(f)) + ")";
      }
      return "matching " + code(g_.terms().value(o)) + flags;
    });
    each(t_.language_in, [&](TermId o) {
      std::vector<std::string> tags;
      for (TermId m : list_members(g_, o)) tags.push_back(code(turtle(m)));
      return "language one of " + join(tags, ", ");
    });
    each(t_.unique_lang, [&](TermId) { return std::string("one value per language"); });
    each(t_.equals, [&](TermId o) { return "equal to the values of " + code(compact(o)); });
    each(t_.disjoint, [&](TermId o) { return "none of the values of " + code(compact(o)); });
    each(t_.less_than, [&](TermId o) { return "less than the values of " + code(compact(o)); });
    each(t_.less_than_or_equals,
         [&](TermId o) { return "at most the values of " + code(compact(o)); });
    each(t_.node, [&](TermId o) { return "conforms to " + nested(o); });
    each(t_.sh_not, [&](TermId o) { return "not " + nested(o); });
    each(t_.sh_and, [&](TermId o) { return "all of " + nested_list(o, ", "); });
    each(t_.sh_or, [&](TermId o) { return "either " + nested_list(o, " or "); });
    each(t_.sh_xone, [&](TermId o) { return "exactly one of " + nested_list(o, ", "); });
    each(t_.qualified_value_shape, [&](TermId o) {
      std::vector<std::string> bounds;
      if (TermId n = first(shape, t_.qualified_min_count); n != kNoTerm) {
        bounds.push_back("at least " + std::string(g_.terms().value(n)));
      }
      if (TermId n = first(shape, t_.qualified_max_count); n != kNoTerm) {
        bounds.push_back("at most " + std::string(g_.terms().value(n)));
      }
      std::string what = g_.terms().is_iri(o) ? "conform to " + code(compact(o))
                                              : join(value_phrases(o, true), "; ");
      return join(bounds, " and ") + " of them " + what;
    });
    each(t_.closed, [&](TermId o) {
      return g_.terms().value(o) == "true" ? std::string("no other properties") : std::string();
    });
    if (inline_properties) {
      for (TermId p : objects_of(shape, t_.property)) out.push_back(inline_property(p));
    }
    out.erase(std::remove(out.begin(), out.end(), std::string()), out.end());
    return out;
  }

  // A property shape in one line: "`mpli:vcpu` at least 1 value".
  std::string inline_property(TermId p) const {
    std::vector<std::string> parts;
    std::string count = count_phrase(count_bound(p, t_.min_count), count_max(p));
    if (!count.empty()) parts.push_back(count);
    for (std::string& phrase : value_phrases(p, true)) parts.push_back(std::move(phrase));
    std::string name = code(path(first(p, t_.path)));
    return parts.empty() ? name : name + " " + join(parts, ", ");
  }

  uint64_t count_bound(TermId shape, TermId predicate) const {
    uint64_t n = 0;
    for (TermId o : objects_of(shape, predicate)) {
      n = std::max(n, count_value(o));
    }
    return n;
  }
  uint64_t count_max(TermId shape) const {
    uint64_t n = kUnbounded;
    for (TermId o : objects_of(shape, t_.max_count)) {
      n = std::min(n, count_value(o));
    }
    return n;
  }

  // An example value derived from the constraints when no skos:example says one.
  std::string derived_example(TermId shape) const {
    if (TermId v = first(shape, t_.has_value); v != kNoTerm) return turtle(v);
    if (TermId in = first(shape, t_.in); in != kNoTerm) {
      std::vector<TermId> members = list_members(g_, in);
      if (!members.empty()) return turtle(members.front());
    }
    TermId datatype = first(shape, t_.datatype);
    if (datatype == kNoTerm) return {};
    std::string dt(g_.terms().value(datatype));
    auto bound = [&](TermId p) {
      TermId b = first(shape, p);
      return b == kNoTerm ? std::string() : std::string(g_.terms().value(b));
    };
    if (dt == cat(kXsd, "integer") || dt == cat(kXsd, "decimal")) {
      std::string value = bound(t_.min_inclusive);
      if (value.empty()) value = bound(t_.max_inclusive);
      if (value.empty() && bound(t_.min_exclusive).empty() && bound(t_.max_exclusive).empty()) {
        value = "1";
      }
      if (!value.empty() && dt == cat(kXsd, "decimal") && value.find('.') == std::string::npos) {
        value += ".0";
      }
      return value;
    }
    if (dt == cat(kXsd, "dateTime")) return "\"2026-11-02T09:00:00Z\"^^" + compact(datatype);
    if (dt == cat(kXsd, "date")) return "\"2027-12-31\"^^" + compact(datatype);
    if (dt == cat(kXsd, "boolean")) return "true";
    return {};
  }

  static std::string count_phrase(uint64_t min, uint64_t max) {
    if (max == 0) return "no value";
    if (min == max)
      return min == 1 ? "exactly 1 value" : "exactly " + std::to_string(min) + " values";
    std::vector<std::string> parts;
    if (min > 0)
      parts.push_back("at least " + std::to_string(min) + (min == 1 ? " value" : " values"));
    if (max != kUnbounded) {
      parts.push_back("at most " + std::to_string(max) + (max == 1 ? " value" : " values"));
    }
    return join(parts, " and ");
  }

 private:
  // A count's value; a count that is not a non-negative integer reads as 0 (the shapes compiler
  // is what refuses such shapes).
  uint64_t count_value(TermId o) const {
    std::string text(g_.terms().value(o));
    if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos ||
        text.size() > 18) {
      return 0;
    }
    return std::stoull(text);
  }

  std::string grouped(TermId p) const {
    std::string s = path(p);
    bool simple = g_.terms().is_iri(p) || (s.size() > 1 && s.front() == '(' && s.back() == ')');
    return simple ? s : "(" + s + ")";
  }

  std::string node_kind(TermId kind) const {
    std::string_view iri = g_.terms().value(kind);
    static const std::map<std::string, std::string, std::less<>> kNames = {
        {cat(kSh, "IRI"), "an IRI"},
        {cat(kSh, "BlankNode"), "a blank node"},
        {cat(kSh, "Literal"), "a literal"},
        {cat(kSh, "BlankNodeOrIRI"), "a node (IRI or blank node)"},
        {cat(kSh, "BlankNodeOrLiteral"), "a blank node or a literal"},
        {cat(kSh, "IRIOrLiteral"), "an IRI or a literal"},
    };
    auto it = kNames.find(iri);
    return it == kNames.end() ? "node kind " + code(compact(kind)) : it->second;
  }

  std::string numeric_range(TermId shape) const {
    TermId min_in = first(shape, t_.min_inclusive);
    TermId max_in = first(shape, t_.max_inclusive);
    TermId min_ex = first(shape, t_.min_exclusive);
    TermId max_ex = first(shape, t_.max_exclusive);
    auto v = [&](TermId id) { return std::string(g_.terms().value(id)); };
    if (min_in != kNoTerm && max_in != kNoTerm && min_ex == kNoTerm && max_ex == kNoTerm) {
      return "from " + v(min_in) + " to " + v(max_in);
    }
    std::vector<std::string> parts;
    if (min_in != kNoTerm) parts.push_back("at least " + v(min_in));
    if (min_ex != kNoTerm) parts.push_back("more than " + v(min_ex));
    if (max_in != kNoTerm) parts.push_back("at most " + v(max_in));
    if (max_ex != kNoTerm) parts.push_back("less than " + v(max_ex));
    return join(parts, " and ");
  }

  std::string length_range(TermId shape) const {
    TermId min = first(shape, t_.min_length);
    TermId max = first(shape, t_.max_length);
    auto v = [&](TermId id) { return std::string(g_.terms().value(id)); };
    if (min != kNoTerm && max != kNoTerm) return v(min) + " to " + v(max) + " characters";
    auto characters = [&](TermId id) {
      return v(id) + (v(id) == "1" ? " character" : " characters");
    };
    if (min != kNoTerm) return "at least " + characters(min);
    if (max != kNoTerm) return "at most " + characters(max);
    return {};
  }

  // A shape operand: a named shape by name, an anonymous one spelled out.
  std::string nested(TermId shape) const {
    if (g_.terms().is_iri(shape)) return code(compact(shape));
    DepthGuard guard(depth_);
    if (depth_ > kMaxDepth) return "(...)";
    return "(" + join(value_phrases(shape, true), "; ") + ")";
  }
  std::string nested_list(TermId head, std::string_view sep) const {
    std::vector<std::string> members;
    for (TermId m : list_members(g_, head)) members.push_back(nested(m));
    return join(members, sep);
  }

  // Blank nodes written with labels can refer to themselves (_:p sh:inversePath _:p): nesting
  // beyond this is cut off instead of recursing without end.
  static constexpr int kMaxDepth = 32;
  struct DepthGuard {
    explicit DepthGuard(int& depth) : depth_(depth) { ++depth_; }
    ~DepthGuard() { --depth_; }
    DepthGuard(const DepthGuard&) = delete;
    DepthGuard& operator=(const DepthGuard&) = delete;
    int& depth_;
  };

  const Graph& g_;
  Terms t_;
  const Vocabulary& vocab_;
  mutable int depth_ = 0;
};

// One row of a section's table: every property shape of the section with the same path.
struct PropertyRow {
  std::string path;
  TermId predicate = kNoTerm;  // for a one-step path: its definition in the vocabulary
  std::vector<TermId> shapes;
};

// The rows of the node shapes' property shapes, one per path, in the order written.
std::vector<PropertyRow> rows_of(const ShapesReader& r, const std::vector<TermId>& shapes) {
  const Terms& t = r.terms();
  std::vector<PropertyRow> rows;
  for (TermId shape : shapes) {
    for (TermId p : r.objects_of(shape, t.property)) {
      TermId path = r.first(p, t.path);
      std::string text = r.path(path);
      auto it = std::find_if(rows.begin(), rows.end(),
                             [&](const PropertyRow& row) { return row.path == text; });
      if (it == rows.end()) {
        rows.push_back({text, r.graph().terms().is_iri(path) ? path : kNoTerm, {}});
        it = rows.end() - 1;
      }
      it->shapes.push_back(p);
    }
  }
  return rows;
}

struct Target {
  TermId kind;
  TermId value;
  bool operator<(const Target& o) const { return kind != o.kind ? kind < o.kind : value < o.value; }
  bool operator==(const Target& o) const { return kind == o.kind && value == o.value; }
};

struct Section {
  std::vector<Target> targets;  // in the order written
  std::vector<TermId> shapes;
};

// Node shapes with targets, grouped by their set of targets, in document order.
std::vector<Section> sections_of(const ShapesReader& r) {
  const Terms& t = r.terms();
  std::vector<TermId> shapes;
  for (TermId kind : {t.target_class, t.target_objects_of, t.target_subjects_of, t.target_node}) {
    if (kind == kNoTerm) continue;
    for (const rdf::Triple& triple : r.graph().with_predicate(kind)) shapes.push_back(triple.s);
  }
  std::sort(shapes.begin(), shapes.end());
  shapes.erase(std::unique(shapes.begin(), shapes.end()), shapes.end());

  std::vector<Section> sections;
  std::map<std::vector<Target>, size_t> by_targets;
  for (TermId shape : shapes) {
    std::vector<Target> targets;
    for (TermId kind : {t.target_class, t.target_objects_of, t.target_subjects_of, t.target_node}) {
      for (TermId v : r.objects_of(shape, kind)) targets.push_back({kind, v});
    }
    // Class targets first, then objects, subjects and nodes, each in the order written: the
    // first is the one the heading names.
    std::vector<Target> key = targets;
    std::sort(key.begin(), key.end());
    auto [it, inserted] = by_targets.emplace(key, sections.size());
    if (inserted) sections.push_back({targets, {}});
    sections[it->second].shapes.push_back(shape);
  }
  return sections;
}

class Renderer {
 public:
  explicit Renderer(const ReferenceInput& input) : input_(input), vocab_({input.vocabulary}) {}

  std::string render() {
    std::vector<std::string> sources;
    for (const ShapesDocument& d : input_.documents) sources.push_back(code(d.source));
    if (!input_.kinds.empty()) sources.push_back("the kind vocabularies in " + kind_folders());
    out_ << "# Manifest reference\n\n";
    out_ << "*Generated by `mpli-manifest-reference` from " << join(sources, ", ")
         << " and the labels of `ontology/mpli.ttl`; do not edit. Regenerate with `"
         << input_.command << "`.*\n\n";
    write_introduction();
    // The kinds follow the first document, the provider manifest: they say what its offerings
    // state besides what its shapes require.
    for (size_t i = 0; i < input_.documents.size(); ++i) {
      write_document(input_.documents[i]);
      if (i == 0) write_kinds();
    }
    if (input_.documents.empty()) write_kinds();
    std::string text = out_.str();
    while (text.size() >= 2 && text[text.size() - 1] == '\n' && text[text.size() - 2] == '\n') {
      text.pop_back();
    }
    return text;
  }

 private:
  void write_introduction() {
    out_ << "What a manifest must and may say, node by node, as the SHACL shapes the hub "
            "validates it with check it. [Manifests](manifests.md) explains the design and "
            "what the hub does with each part.\n\n";
    out_ << "- **Applies to** names the nodes a section's shapes check: nodes typed with a "
            "class, or every object (or subject) of a property, typed or not (blank nodes "
            "are fine).\n";
    out_ << "- **Property** is a SHACL path in SPARQL syntax: `a/b` is `b` on the node that "
            "`a` points to, `^a` follows `a` backwards, `(a|b)` is either.\n";
    out_ << "- **Required** means at least one value; **forbidden** means none is allowed. "
            "**Count** is `min..max` (`*`: no upper limit).\n";
    out_ << "- **Value**: datatype, class, node kind, value set (with the vocabulary's label "
            "of each concept), range, length and pattern. Numbers are typed: `99` is an "
            "`xsd:integer`, `99.0` an `xsd:decimal`.\n";
    out_ << "- **Unit** comes from the shapes' `mpli:unit` annotation, **Example** from "
            "their `skos:example` annotation or, where there is none, from the value set or "
            "the datatype; it is written as in Turtle.\n";
    out_ << "- **Messages** are the `sh:message` a manifest gets back when the constraint "
            "fails; **Rules** are constraints on the node as a whole.\n\n";
    out_ << "The Gaia-X nodes (`gx:LegalPerson`, `gx:ServiceOffering`, ...) are checked "
            "against the Gaia-X 25.11 shapes in a separate pass; here only what the MPLI "
            "shapes require of them appears.\n\n";
  }

  void write_document(const ShapesDocument& d) {
    if (d.graph == nullptr) return;
    ShapesReader reader(*d.graph, vocab_);
    out_ << "## " << d.title << "\n\n";
    out_ << "Shapes: [" << code(d.source) << "](../" << d.source << ").\n\n";
    for (const Section& s : sections_of(reader)) write_section(reader, s);
  }

  // The folders the kind vocabularies come from: "`ontology/kinds/`".
  std::string kind_folders() const {
    std::vector<std::string> folders;
    for (const KindDocument& k : input_.kinds) {
      std::string folder = code(directory_of(k.source).empty() ? k.source : directory_of(k.source));
      if (std::find(folders.begin(), folders.end(), folder) == folders.end()) {
        folders.push_back(folder);
      }
    }
    return join_and(folders, "and");
  }

  void write_kinds() {
    if (input_.kinds.empty()) return;
    out_ << "## Kinds of service\n\n";
    out_ << "Every offering names what it sells with one `mpli:offeringKind`, and besides the "
            "offering shapes above the hub checks it against its kind's shape: the properties "
            "of a kind go on the `mpli:Offering` node itself, next to its `mpli:offeringKind`. "
            "The kinds below are built into the hub, from the vocabularies in "
         << kind_folders()
         << "; an admin can register more at run time, and `GET /v1/ontologies` lists every kind "
            "a hub knows. [Service kinds](service-kinds.md) explains how a kind is written and "
            "registered.\n\n";
    out_ << "The tables read as those above, with one more column: **Filter** names the "
            "catalogue filters of a property the kind marks `mpli:filterable`. "
            "`GET /v1/offerings?kind=<kind>&<name>=<value>` lists the offerings whose property "
            "equals the value; for numbers, `min_<name>=<number>` and `max_<name>=<number>` those "
            "whose property is at least or at most the number.\n\n";
    for (const KindDocument& k : input_.kinds) write_kind(k);
  }

  // One kind vocabulary: its mpli:OfferingKind node (one, unless the hub would refuse the file)
  // and the properties its kind shape requires of an offering.
  void write_kind(const KindDocument& k) {
    if (k.graph == nullptr) return;
    // The vocabulary's own labels and definitions first (a community kind defines its
    // properties itself), then those of ontology/mpli.ttl (for the mpli: properties it reuses).
    Vocabulary vocab({k.graph, input_.vocabulary});
    ShapesReader r(*k.graph, vocab);
    const Terms& t = r.terms();
    std::vector<TermId> kinds;
    if (t.rdf_type != kNoTerm && t.offering_kind != kNoTerm) {
      for (const rdf::Triple& triple :
           r.graph().with_predicate_object(t.rdf_type, t.offering_kind)) {
        kinds.push_back(triple.s);
      }
    }
    std::sort(kinds.begin(), kinds.end());
    std::string link = "[" + code(k.source) + "](../" + k.source + ")";
    if (kinds.empty()) {
      out_ << "### " << code(k.source) << "\n\n";
      out_ << "No node of " << link << " is typed `mpli:OfferingKind`.\n\n";
      return;
    }
    for (TermId kind : kinds) {
      std::string iri = r.iri_text(kind);
      std::string label = vocab.label(iri);
      std::string name = code(r.compact(kind));
      out_ << "### " << (label.empty() ? name : capitalised(prose(label)) + " (" + name + ")")
           << "\n\n";
      std::vector<TermId> shapes = r.objects_of(kind, t.kind_shape);
      std::vector<std::string> shape_names;
      shape_names.reserve(shapes.size());
      for (TermId shape : shapes) shape_names.push_back(code(r.turtle(shape)));
      out_ << "Applies to every offering whose `mpli:offeringKind` is " << name << ".";
      if (!shape_names.empty()) out_ << " Shapes: " << join(shape_names, ", ") << ".";
      out_ << "\n\n";
      std::string about = vocab.comment(iri);
      if (!about.empty()) out_ << prose(about) << "\n\n";

      out_ << "- **IRI:** " << name;
      std::string prefix = prefix_declaration(r, kind);
      if (!prefix.empty()) out_ << " (" << code(prefix) << ")";
      out_ << "\n";
      std::vector<TermId> versions = r.objects_of(kind, t.kind_version);
      if (!versions.empty()) {
        out_ << "- **Version:** " << r.graph().terms().value(versions.front()) << "\n";
      }
      out_ << "- **Vocabulary:** " << link << "\n";
      out_ << "- **Catalogue:** " << code("kind=" + std::string(local_name(iri))) << "\n\n";

      std::vector<PropertyRow> rows = rows_of(r, shapes);
      if (!rows.empty()) write_properties(r, rows, /*filters=*/true);
      write_rules(r, shapes);
    }
  }

  // The @prefix line that makes r.compact(iri) readable in another document ("" when the IRI
  // is written in full).
  static std::string prefix_declaration(const ShapesReader& r, TermId iri) {
    std::string compact = r.compact(iri);
    if (compact.empty() || compact.front() == '<') return {};
    std::string prefix = compact.substr(0, compact.find(':'));
    for (const auto& declared : r.graph().prefixes()) {
      if (declared.first == prefix) {
        return "@prefix " + prefix + ": <" + declared.second + "> .";
      }
    }
    return {};
  }

  std::string heading(const ShapesReader& r, const std::vector<Target>& targets) const {
    const Terms& t = r.terms();
    const Target& target = targets.front();
    std::vector<std::string> subjects_of;
    for (const Target& other : targets) {
      if (other.kind == t.target_subjects_of) subjects_of.push_back(code(r.compact(other.value)));
    }
    std::string predicates = join_and(subjects_of, "or");
    std::string iri = r.iri_text(target.value);
    if (target.kind == t.target_class) {
      std::string label = vocab_.label(iri);
      if (label.empty()) return code(r.compact(target.value));
      return capitalised(label) + " (" + code(r.compact(target.value)) + ")";
    }
    if (target.kind == t.target_objects_of) {
      std::string label = vocab_.label(vocab_.range(iri));
      std::string what = "the object of " + code(r.compact(target.value));
      return label.empty() ? capitalised(what) : capitalised(label) + " (" + what + ")";
    }
    if (target.kind == t.target_subjects_of) return "Any node that states " + predicates;
    return "The node " + code(r.turtle(target.value));
  }

  std::string applies_to(const ShapesReader& r, const std::vector<Target>& targets) const {
    const Terms& t = r.terms();
    std::vector<std::string> parts;
    for (const Target& target : targets) {
      std::string v = code(r.turtle(target.value));
      if (target.kind == t.target_class) {
        parts.push_back("every node typed " + v);
      } else if (target.kind == t.target_objects_of) {
        parts.push_back("every object of " + v);
      } else if (target.kind == t.target_subjects_of) {
        parts.push_back("every subject of " + v);
      } else {
        parts.push_back("the node " + v);
      }
    }
    return join_and(parts, "and");
  }

  // The vocabulary's comment for what a section is about.
  std::string description(const ShapesReader& r, const Target& target) const {
    std::string iri = r.iri_text(target.value);
    if (target.kind == r.terms().target_class) return vocab_.comment(iri);
    if (target.kind == r.terms().target_objects_of) {
      std::string range = vocab_.range(iri);
      std::string comment = range.empty() ? std::string() : vocab_.comment(range);
      return comment.empty() ? vocab_.comment(iri) : comment;
    }
    return {};
  }

  void write_section(const ShapesReader& r, const Section& s) {
    out_ << "### " << heading(r, s.targets) << "\n\n";
    out_ << "Applies to " << applies_to(r, s.targets) << ".";
    std::vector<std::string> names;
    for (TermId shape : s.shapes) names.push_back(code(r.turtle(shape)));
    out_ << " Shapes: " << join(names, ", ") << ".\n\n";
    std::string about = description(r, s.targets.front());
    if (!about.empty()) out_ << prose(about) << "\n\n";

    std::vector<PropertyRow> rows = rows_of(r, s.shapes);
    if (!rows.empty()) write_properties(r, rows, /*filters=*/false);
    write_rules(r, s.shapes);
  }

  // The catalogue filters on a row's property: `name=`, and for numbers `min_name=` and
  // `max_name=`; "no" when the property is not mpli:filterable (or not one predicate).
  static std::string filter_names(const ShapesReader& r, const PropertyRow& row) {
    const Terms& t = r.terms();
    const rdf::TermTable& terms = r.graph().terms();
    bool filterable = false;
    bool number = false;
    for (TermId p : row.shapes) {
      for (TermId f : r.objects_of(p, t.filterable)) {
        filterable = filterable ||
                     (terms.is_literal(f) && (terms.value(f) == "true" || terms.value(f) == "1"));
      }
      for (TermId d : r.objects_of(p, t.datatype)) {
        number = number || numeric_datatype(terms.value(d));
      }
    }
    if (!filterable || row.predicate == kNoTerm) return "no";
    std::string name(local_name(r.iri_text(row.predicate)));
    std::vector<std::string> names = {code(name + "=")};
    if (number) {
      names.push_back(code("min_" + name + "="));
      names.push_back(code("max_" + name + "="));
    }
    return join(names, ", ");
  }

  // `filters`: a last column with the catalogue filters, for the properties of a kind.
  void write_properties(const ShapesReader& r, const std::vector<PropertyRow>& rows, bool filters) {
    const Terms& t = r.terms();
    const Vocabulary& vocab = r.vocabulary();
    out_ << "| Property | Required | Count | Value | Unit | Example |"
         << (filters ? " Filter |" : "") << "\n";
    out_ << "| --- | --- | --- | --- | --- | --- |" << (filters ? " --- |" : "") << "\n";
    for (const PropertyRow& row : rows) {
      uint64_t min = 0;
      uint64_t max = kUnbounded;
      std::vector<std::string> values;
      std::string unit;
      std::string example;
      std::string derived;
      for (TermId p : row.shapes) {
        min =
            std::max({min, r.count_bound(p, t.min_count), r.count_bound(p, t.qualified_min_count)});
        // sh:hasValue fails when the value is missing: the property is required.
        if (r.first(p, t.has_value) != kNoTerm) min = std::max<uint64_t>(min, 1);
        max = std::min(max, r.count_max(p));
        for (std::string& v : r.value_phrases(p, false)) {
          if (std::find(values.begin(), values.end(), v) == values.end()) values.push_back(v);
        }
        TermId u = r.first(p, t.unit);
        if (unit.empty() && u != kNoTerm) unit = prose(r.graph().terms().value(u));
        TermId e = r.first(p, t.example);
        if (example.empty() && e != kNoTerm) example = r.turtle(e);
        if (derived.empty()) derived = r.derived_example(p);
      }
      // A value the node must have is the best example of all.
      auto required_value = std::find_if(row.shapes.begin(), row.shapes.end(), [&](TermId p) {
        return r.first(p, t.has_value) != kNoTerm;
      });
      if (required_value != row.shapes.end()) {
        derived = r.turtle(r.first(*required_value, t.has_value));
      }
      if (example.empty()) example = derived;
      // An open list (no sh:in): the concepts the vocabulary knows for the property's range.
      bool has_in = std::any_of(row.shapes.begin(), row.shapes.end(),
                                [&](TermId p) { return r.first(p, t.in) != kNoTerm; });
      if (!has_in && max != 0 && row.predicate != kNoTerm) {
        std::vector<std::string> known;
        for (const std::string& iri : vocab.instances(vocab.range(r.iri_text(row.predicate)))) {
          known.push_back(r.labelled(iri));
        }
        if (!known.empty()) values.push_back("known values: " + join(known, ", "));
      }
      std::string required = max == 0 ? "forbidden" : (min > 0 ? "**required**" : "optional");
      std::string count = max == 0 ? "0"
                          : min == max
                              ? std::to_string(min)
                              : std::to_string(min) + ".." +
                                    (max == kUnbounded ? std::string("*") : std::to_string(max));
      out_ << "| " << cell(property_name(r, row)) << " | " << required << " | " << count << " | "
           << cell(values.empty() ? "any" : join(values, "; ")) << " | "
           << cell(unit.empty() ? "" : unit) << " | " << cell(example.empty() ? "" : code(example))
           << " |";
      if (filters) out_ << " " << cell(filter_names(r, row)) << " |";
      out_ << "\n";
    }
    out_ << "\n**Messages**\n\n";
    for (const PropertyRow& row : rows) {
      out_ << "- " << code(row.path) << "\n";
      for (TermId p : row.shapes) {
        for (TermId m : r.objects_of(p, t.message)) {
          out_ << "  - " << prose(r.graph().terms().value(m)) << "\n";
        }
      }
      if (row.predicate != kNoTerm) {
        std::string comment = vocab.comment(r.iri_text(row.predicate));
        if (!comment.empty()) out_ << "  - *Definition:* " << prose(comment) << "\n";
      }
    }
    out_ << "\n";
  }

  // The path, with the sh:name a property shape gives it: `gpu:gpuCount` (GPUs).
  static std::string property_name(const ShapesReader& r, const PropertyRow& row) {
    const rdf::TermTable& terms = r.graph().terms();
    for (TermId p : row.shapes) {
      for (TermId n : r.objects_of(p, r.terms().name)) {
        if (terms.is_literal(n) && (terms.lang(n).empty() || terms.lang(n) == "en")) {
          return code(row.path) + " (" + prose(terms.value(n)) + ")";
        }
      }
    }
    return code(row.path);
  }

  // Constraints on the focus node itself (sh:or, sh:xone, ...), each shape's with its message.
  void write_rules(const ShapesReader& r, const std::vector<TermId>& shapes) {
    const Terms& t = r.terms();
    bool first = true;
    for (TermId shape : shapes) {
      std::vector<std::string> phrases = r.value_phrases(shape, false);
      if (phrases.empty()) continue;
      if (first) out_ << "**Rules**\n\n";
      first = false;
      std::vector<std::string> messages;
      for (TermId m : r.objects_of(shape, t.message)) {
        messages.push_back(prose(r.graph().terms().value(m)));
      }
      out_ << "- " << (messages.empty() ? code(r.turtle(shape)) : join(messages, " ")) << "\n";
      out_ << "  - " << code(r.turtle(shape)) << ": " << join(phrases, "; ") << ".\n";
    }
    if (!first) out_ << "\n";
  }

  const ReferenceInput& input_;
  Vocabulary vocab_;
  std::ostringstream out_;
};

std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

}  // namespace

std::string render_reference(const ReferenceInput& input) { return Renderer(input).render(); }

std::optional<LineDifference> first_difference(std::string_view rendered,
                                               std::string_view checked_in) {
  std::vector<std::string_view> want = lines_of(rendered);
  std::vector<std::string_view> have = lines_of(checked_in);
  for (size_t i = 0; i < std::max(want.size(), have.size()); ++i) {
    std::string_view w = i < want.size() ? want[i] : std::string_view();
    std::string_view h = i < have.size() ? have[i] : std::string_view();
    if (w != h || (i >= want.size()) != (i >= have.size())) {
      return LineDifference{i + 1, std::string(w), std::string(h)};
    }
  }
  // Same lines; a difference left can only be in the final newline.
  if (rendered != checked_in) {
    return LineDifference{want.size(), want.empty() ? "" : std::string(want.back()),
                          have.empty() ? "" : std::string(have.back())};
  }
  return std::nullopt;
}

}  // namespace mpli::manifest_reference
