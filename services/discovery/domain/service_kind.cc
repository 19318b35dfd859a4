#include "services/discovery/domain/service_kind.h"

#include <algorithm>
#include <cstdlib>
#include <set>

#include "libs/core/digest.h"
#include "libs/rdf/graph.h"
#include "libs/rdf/parser.h"
#include "libs/shacl/shapes.h"
#include "services/discovery/domain/errors.h"

namespace mpli::discovery {
namespace {

using rdf::kNoTerm;
using rdf::TermId;

constexpr std::string_view kMpli = "https://w3id.org/mpli#";
constexpr std::string_view kSh = "http://www.w3.org/ns/shacl#";
constexpr std::string_view kRdfs = "http://www.w3.org/2000/01/rdf-schema#";
constexpr std::string_view kXsd = "http://www.w3.org/2001/XMLSchema#";

std::string local_name(std::string_view iri) {
  size_t cut = iri.find_last_of("#/");
  return std::string(cut == std::string_view::npos ? iri : iri.substr(cut + 1));
}

// The datatypes a filterable property may have: the catalogue stores numbers and text.
bool indexable_datatype(const std::string& datatype) {
  static const std::set<std::string> kIndexable = {
      std::string(kXsd) + "integer",        std::string(kXsd) + "decimal",
      std::string(kXsd) + "double",         std::string(kXsd) + "string",
      std::string(kXsd) + "boolean",        std::string(kXsd) + "int",
      std::string(kXsd) + "long",           std::string(kXsd) + "nonNegativeInteger",
      std::string(kXsd) + "positiveInteger"};
  return kIndexable.count(datatype) > 0;
}

// Reads the document's graph; collects rule violations with the line of the node concerned.
class VocabularyReader {
 public:
  VocabularyReader(const rdf::Graph& graph, const rdf::NodePositions& positions)
      : graph_(graph), terms_(graph.terms()), positions_(positions) {}

  TermId iri(std::string_view namespace_iri, std::string_view local) const {
    return terms_.find_iri(std::string(namespace_iri) + std::string(local));
  }
  std::vector<TermId> objects(TermId subject, TermId predicate) const {
    std::vector<TermId> out;
    if (subject == kNoTerm || predicate == kNoTerm) return out;
    for (const auto& t : graph_.with_subject_predicate(subject, predicate)) out.push_back(t.o);
    return out;
  }
  std::vector<TermId> subjects(TermId predicate, TermId object) const {
    std::vector<TermId> out;
    if (predicate == kNoTerm || object == kNoTerm) return out;
    for (const auto& t : graph_.with_predicate_object(predicate, object)) out.push_back(t.s);
    return out;
  }
  TermId object(TermId subject, TermId predicate) const {
    auto all = objects(subject, predicate);
    return all.empty() ? kNoTerm : all.front();
  }
  std::string text(TermId id) const { return id == kNoTerm ? "" : std::string(terms_.value(id)); }
  std::optional<double> number(TermId id) const {
    if (id == kNoTerm || !terms_.is_literal(id)) return std::nullopt;
    std::string lexical = text(id);
    char* end = nullptr;
    double value = std::strtod(lexical.c_str(), &end);
    if (end == lexical.c_str() || *end != '\0') return std::nullopt;
    return value;
  }
  bool is_true(TermId id) const {
    return id != kNoTerm && terms_.is_literal(id) && (text(id) == "true" || text(id) == "1");
  }

  void problem(TermId node, std::string path, std::string message) {
    Violation v;
    v.focus_node = node == kNoTerm ? "" : terms_.to_ntriples(node);
    v.path = path.empty() ? "" : "<" + path + ">";
    v.constraint = "kind vocabulary";
    v.severity = std::string(kSh) + "Violation";
    v.message = std::move(message);
    if (node != kNoTerm) {
      auto at = positions_.find(node);
      if (at != positions_.end()) {
        v.line = at->second.line;
        v.column = at->second.column;
      }
    }
    problems_.push_back(std::move(v));
  }
  std::vector<Violation>& problems() { return problems_; }
  const rdf::TermTable& terms() const { return terms_; }
  const rdf::Graph& graph() const { return graph_; }

 private:
  const rdf::Graph& graph_;
  const rdf::TermTable& terms_;
  const rdf::NodePositions& positions_;
  std::vector<Violation> problems_;
};

KindProperty read_property(VocabularyReader& r, TermId property_shape, TermId path) {
  auto sh = [&](std::string_view local) { return r.iri(kSh, local); };
  KindProperty p;
  p.iri = r.text(path);
  p.name = local_name(p.iri);
  p.label = r.text(r.object(property_shape, sh("name")));
  p.datatype = r.text(r.object(property_shape, sh("datatype")));
  p.unit = r.text(r.object(property_shape, r.iri(kMpli, "unit")));
  p.filterable = r.is_true(r.object(property_shape, r.iri(kMpli, "filterable")));
  auto min_count = r.number(r.object(property_shape, sh("minCount")));
  p.required = min_count.has_value() && *min_count >= 1;
  if (auto max_count = r.number(r.object(property_shape, sh("maxCount")))) {
    p.max_count = static_cast<uint64_t>(*max_count);
  }
  p.min_inclusive = r.number(r.object(property_shape, sh("minInclusive")));
  p.max_inclusive = r.number(r.object(property_shape, sh("maxInclusive")));
  p.min_exclusive = r.number(r.object(property_shape, sh("minExclusive")));
  p.max_exclusive = r.number(r.object(property_shape, sh("maxExclusive")));
  p.pattern = r.text(r.object(property_shape, sh("pattern")));
  TermId in = r.object(property_shape, sh("in"));
  if (in != kNoTerm) {
    std::vector<TermId> members;
    std::vector<std::string> allowed;
    if (r.graph().list(in, &members)) {
      for (TermId member : members) allowed.push_back(r.terms().to_ntriples(member));
    }
    std::sort(allowed.begin(), allowed.end());
    p.allowed = std::move(allowed);
  }
  // A filterable property's local name becomes a query parameter of GET /v1/offerings: it
  // must not be one of the catalogue's own, nor read as a min_/max_ filter of another.
  static const std::set<std::string> kReserved = {
      "kind", "country", "region", "provider", "certification", "max_price",
      "q",    "limit",   "cursor", "min_vcpu", "min_memory_gib"};
  if (p.filterable && (kReserved.count(p.name) > 0 || p.name.rfind("min_", 0) == 0 ||
                       p.name.rfind("max_", 0) == 0)) {
    r.problem(property_shape, p.iri,
              "the filterable property's local name '" + p.name +
                  "' is a query parameter of the catalogue already (or starts with min_ or "
                  "max_); name the property otherwise");
  }
  if (p.filterable && !indexable_datatype(p.datatype)) {
    r.problem(property_shape, p.iri,
              "the filterable property " + p.iri +
                  " needs a sh:datatype the catalogue can index: xsd:integer, xsd:decimal, "
                  "xsd:double, xsd:string or xsd:boolean");
  }
  return p;
}

void read_shape(VocabularyReader& r, ServiceKind& kind, TermId kind_node) {
  auto sh = [&](std::string_view local) { return r.iri(kSh, local); };
  auto shapes = r.objects(kind_node, r.iri(kMpli, "kindShape"));
  if (shapes.size() != 1 || !r.terms().is_iri(shapes.front())) {
    r.problem(kind_node, std::string(kMpli) + "kindShape",
              "the kind needs exactly one mpli:kindShape naming (by IRI) the sh:NodeShape "
              "every offering of the kind must satisfy");
    return;
  }
  TermId shape = shapes.front();
  kind.shape_iri = r.text(shape);
  auto types = r.objects(shape, r.terms().well_known().rdf_type);
  if (std::find(types.begin(), types.end(), sh("NodeShape")) == types.end()) {
    r.problem(kind_node, std::string(kMpli) + "kindShape",
              "mpli:kindShape names " + kind.shape_iri +
                  ", which this document does not describe as `a sh:NodeShape`");
    return;
  }
  std::set<std::string> seen;
  for (TermId property_shape : r.objects(shape, sh("property"))) {
    TermId path = r.object(property_shape, sh("path"));
    if (path == kNoTerm || !r.terms().is_iri(path)) continue;  // a path of several steps
    KindProperty property = read_property(r, property_shape, path);
    if (!seen.insert(property.iri).second) {
      // Two property shapes on one property: the first says what the property is.
      continue;
    }
    kind.properties.push_back(std::move(property));
  }
}

// Shapes in a kind vocabulary carry no targets: the hub applies the kind shape to the offerings
// of the kind, and a targeted shape would apply to every manifest.
void refuse_targets(VocabularyReader& r) {
  for (const char* target : {"targetClass", "targetNode", "targetSubjectsOf", "targetObjectsOf"}) {
    TermId predicate = r.iri(kSh, target);
    if (predicate == kNoTerm) continue;
    for (const auto& t : r.graph().with_predicate(predicate)) {
      r.problem(t.s, std::string(kSh) + target,
                std::string("a kind vocabulary's shapes have no targets (sh:") + target +
                    " here): the hub applies the kind shape to every offering of the kind");
    }
  }
}

void read_kind_node(VocabularyReader& r, ServiceKind& kind, TermId node) {
  kind.iri = r.text(node);
  kind.name = local_name(kind.iri);
  auto labels = r.objects(node, r.iri(kRdfs, "label"));
  if (labels.empty() || !r.terms().is_literal(labels.front())) {
    r.problem(node, std::string(kRdfs) + "label",
              "the kind needs an rdfs:label: its name as people say it, e.g. \"GPU instance\"@en");
  } else {
    kind.label = r.text(labels.front());
  }
  kind.description = r.text(r.object(node, r.iri(kRdfs, "comment")));
  auto versions = r.objects(node, r.iri(kMpli, "kindVersion"));
  std::optional<double> version =
      versions.size() == 1 ? r.number(versions.front()) : std::optional<double>();
  if (!version || *version < 1 || *version != static_cast<double>(static_cast<int64_t>(*version)) ||
      *version > 1e9) {
    r.problem(node, std::string(kMpli) + "kindVersion",
              "the kind needs exactly one mpli:kindVersion: a positive integer such as 1, raised "
              "for each breaking change");
  } else {
    kind.version = static_cast<int64_t>(*version);
  }
}

}  // namespace

bool KindProperty::numeric() const {
  static const std::set<std::string> kNumeric = {
      std::string(kXsd) + "integer",        std::string(kXsd) + "decimal",
      std::string(kXsd) + "double",         std::string(kXsd) + "int",
      std::string(kXsd) + "long",           std::string(kXsd) + "nonNegativeInteger",
      std::string(kXsd) + "positiveInteger"};
  return kNumeric.count(datatype) > 0;
}

const KindProperty* ServiceKind::property_named(std::string_view wanted) const {
  for (const auto& p : properties) {
    if (p.name == wanted) return &p;
  }
  return nullptr;
}

Result<ServiceKind> read_service_kind(std::string_view turtle, const std::string& source) {
  rdf::Graph graph;
  std::vector<rdf::ParseError> errors;
  rdf::ParseOptions options;
  options.strict = true;
  options.base_iri = "urn:mpli:kind";
  rdf::NodePositions positions;
  options.node_positions = &positions;
  Status parsed = rdf::parse_string(turtle, source, graph, options, &errors);
  if (!parsed.is_ok()) {
    std::map<std::string, std::string> details;
    std::string message = parsed.message();
    if (!errors.empty()) {
      details["line"] = std::to_string(errors.front().line);
      details["column"] = std::to_string(errors.front().column);
      message = errors.front().to_string();
    }
    return discovery_error(StatusCode::kInvalidArgument, v1::KIND_SYNTAX, message,
                           std::move(details));
  }

  VocabularyReader r(graph, positions);
  ServiceKind kind;
  kind.turtle = std::string(turtle);
  kind.hash = digest::sha256_hex(turtle);
  auto kind_nodes = r.subjects(graph.terms().well_known().rdf_type, r.iri(kMpli, "OfferingKind"));
  if (kind_nodes.size() != 1 || !graph.terms().is_iri(kind_nodes.front())) {
    r.problem(kind_nodes.size() > 1 ? kind_nodes[1] : kNoTerm, "",
              "a kind vocabulary describes exactly one kind, a node named by IRI and typed "
              "mpli:OfferingKind; this one has " +
                  std::to_string(kind_nodes.size()));
  } else {
    read_kind_node(r, kind, kind_nodes.front());
    read_shape(r, kind, kind_nodes.front());
  }
  refuse_targets(r);
  if (r.problems().empty()) {
    auto compiled = shacl::compile_shapes(graph);
    if (!compiled.is_ok()) {
      r.problem(kNoTerm, "",
                "the vocabulary's shapes do not compile: " + compiled.status().message());
    }
  }
  if (!r.problems().empty()) {
    size_t count = r.problems().size();
    std::map<std::string, std::string> details;
    if (r.problems().front().line > 0) {
      details["line"] = std::to_string(r.problems().front().line);
      details["column"] = std::to_string(r.problems().front().column);
    }
    return discovery_error(
               StatusCode::kInvalidArgument, v1::KIND_INVALID,
               source + ": " + std::to_string(count) +
                   " problem(s) in the kind vocabulary; the first: " + r.problems().front().message,
               std::move(details))
        .with_violations(std::move(r.problems()));
  }

  std::set<std::string> defined;
  for (const auto& t : graph.triples()) {
    if (graph.terms().is_iri(t.s)) defined.insert(std::string(graph.terms().value(t.s)));
  }
  kind.defined_iris.assign(defined.begin(), defined.end());
  return kind;
}

Result<std::vector<ServiceKind>> builtin_kinds() {
  std::vector<ServiceKind> kinds;
  for (const auto& [file, text] : builtin_kind_vocabularies()) {
    auto kind = read_service_kind(text, "ontology/kinds/" + file);
    if (!kind) {
      return Status(StatusCode::kInternal,
                    "built-in kind ontology/kinds/" + file + ": " + kind.status().message());
    }
    kind->provenance = "built-in (ontology/kinds/" + file + ")";
    kinds.push_back(std::move(kind).value());
  }
  return kinds;
}

std::vector<ServiceKind> current_kinds(const std::vector<ServiceKind>& builtin,
                                       const std::vector<ServiceKind>& registered_in_order) {
  std::map<std::string, const ServiceKind*> by_iri;
  for (const auto* list : {&builtin, &registered_in_order}) {
    for (const ServiceKind& kind : *list) {
      auto [at, fresh] = by_iri.emplace(kind.iri, &kind);
      if (!fresh && kind.version >= at->second->version) at->second = &kind;
    }
  }
  std::vector<ServiceKind> out;
  for (const auto& [iri, kind] : by_iri) out.push_back(*kind);
  std::sort(out.begin(), out.end(), [](const ServiceKind& a, const ServiceKind& b) {
    return a.name != b.name ? a.name < b.name : a.iri < b.iri;
  });
  return out;
}

namespace {

std::string number_text(double value) {
  std::string text = std::to_string(value);
  text.erase(text.find_last_not_of('0') + 1);
  if (!text.empty() && text.back() == '.') text.pop_back();
  return text;
}

// A lower bound that is new or higher narrows what offerings may say.
void lower_bound_change(std::vector<std::string>& out, const std::string& property,
                        const char* name, const std::optional<double>& before,
                        const std::optional<double>& after) {
  if (after && (!before || *after > *before)) {
    out.push_back(property + ": sh:" + name + " " +
                  (before ? "raised from " + number_text(*before) + " to " : "added, ") +
                  number_text(*after));
  }
}
void upper_bound_change(std::vector<std::string>& out, const std::string& property,
                        const char* name, const std::optional<double>& before,
                        const std::optional<double>& after) {
  if (after && (!before || *after < *before)) {
    out.push_back(property + ": sh:" + name + " " +
                  (before ? "lowered from " + number_text(*before) + " to " : "added, ") +
                  number_text(*after));
  }
}

}  // namespace

std::vector<std::string> breaking_changes(const ServiceKind& registered,
                                          const ServiceKind& proposed) {
  std::vector<std::string> out;
  std::map<std::string, const KindProperty*> before;
  for (const auto& p : registered.properties) before[p.iri] = &p;
  for (const auto& after : proposed.properties) {
    auto found = before.find(after.iri);
    const KindProperty* old = found == before.end() ? nullptr : found->second;
    const std::string& name = after.iri;
    if (after.required && (old == nullptr || !old->required)) {
      out.push_back(name + (old == nullptr ? ": a new required property (sh:minCount 1)"
                                           : ": now required (sh:minCount 1)"));
    }
    if (old == nullptr) continue;  // a new optional property: offerings without it still fit
    if (!after.datatype.empty() && after.datatype != old->datatype) {
      out.push_back(name + ": sh:datatype changed from " +
                    (old->datatype.empty() ? "none" : old->datatype) + " to " + after.datatype);
    }
    lower_bound_change(out, name, "minInclusive", old->min_inclusive, after.min_inclusive);
    lower_bound_change(out, name, "minExclusive", old->min_exclusive, after.min_exclusive);
    upper_bound_change(out, name, "maxInclusive", old->max_inclusive, after.max_inclusive);
    upper_bound_change(out, name, "maxExclusive", old->max_exclusive, after.max_exclusive);
    if (after.max_count && (!old->max_count || *after.max_count < *old->max_count)) {
      out.push_back(name + ": sh:maxCount " +
                    (old->max_count ? "lowered from " + std::to_string(*old->max_count) + " to "
                                    : "added, ") +
                    std::to_string(*after.max_count));
    }
    if (after.allowed) {
      std::vector<std::string> dropped;
      if (old->allowed) {
        std::set_difference(old->allowed->begin(), old->allowed->end(), after.allowed->begin(),
                            after.allowed->end(), std::back_inserter(dropped));
      }
      if (!old->allowed) {
        out.push_back(name + ": sh:in added (only listed values allowed)");
      } else if (!dropped.empty()) {
        std::string list;
        for (const auto& value : dropped) list += (list.empty() ? "" : ", ") + value;
        out.push_back(name + ": sh:in no longer allows " + list);
      }
    }
    if (!after.pattern.empty() && after.pattern != old->pattern) {
      out.push_back(name + ": sh:pattern " + (old->pattern.empty() ? "added" : "changed") + " (\"" +
                    after.pattern + "\")");
    }
  }
  return out;
}

std::string_view registration_name(KindRegistration outcome) {
  switch (outcome) {
    case KindRegistration::kCreated:
      return "created";
    case KindRegistration::kNewVersion:
      return "new_version";
    case KindRegistration::kUpdated:
      return "updated";
    case KindRegistration::kUnchanged:
      return "unchanged";
  }
  return "unchanged";
}

Result<KindRegistration> plan_kind_registration(
    const std::map<std::string, ServiceKind>& current_by_iri, const ServiceKind& proposed) {
  auto conflict = [&](std::string message, std::map<std::string, std::string> details = {}) {
    details["kind"] = proposed.iri;
    return discovery_error(StatusCode::kConflict, v1::KIND_CONFLICT, std::move(message),
                           std::move(details));
  };
  for (const auto& [iri, other] : current_by_iri) {
    if (iri == proposed.iri) continue;
    std::vector<std::string> shared;
    std::set_intersection(other.defined_iris.begin(), other.defined_iris.end(),
                          proposed.defined_iris.begin(), proposed.defined_iris.end(),
                          std::back_inserter(shared));
    if (!shared.empty()) {
      return conflict(shared.front() + " is described by the vocabulary of kind " + iri +
                          " already; a kind vocabulary describes only its own terms",
                      {{"field", shared.front()}, {"other_kind", iri}});
    }
  }
  // Names are filters: `kind=<name>`, and a filterable property's local name. Two kinds may
  // share a property only by its IRI.
  for (const auto& [iri, other] : current_by_iri) {
    if (iri == proposed.iri) continue;
    if (other.name == proposed.name) {
      return conflict("kind " + iri + " has the name '" + proposed.name +
                          "' already (the catalogue's kind filter); choose another local name",
                      {{"field", proposed.iri}, {"other_kind", iri}});
    }
    for (const KindProperty& mine : proposed.properties) {
      const KindProperty* theirs = other.property_named(mine.name);
      if (theirs != nullptr && theirs->iri != mine.iri && (mine.filterable || theirs->filterable)) {
        return conflict("the property name '" + mine.name + "' (" + mine.iri +
                            ") is a filter of kind " + iri + " already, for " + theirs->iri +
                            "; reuse that property by its IRI or name yours otherwise",
                        {{"field", mine.iri}, {"other_kind", iri}});
      }
    }
  }
  auto current = current_by_iri.find(proposed.iri);
  if (current == current_by_iri.end()) return KindRegistration::kCreated;
  const ServiceKind& registered = current->second;
  if (proposed.version > registered.version) return KindRegistration::kNewVersion;
  if (proposed.version < registered.version) {
    return conflict("kind " + proposed.iri + " is at version " +
                        std::to_string(registered.version) + "; version " +
                        std::to_string(proposed.version) + " is older",
                    {{"field", "mpli:kindVersion"}});
  }
  if (proposed.hash == registered.hash) return KindRegistration::kUnchanged;
  std::vector<std::string> changes = breaking_changes(registered, proposed);
  if (!changes.empty()) {
    std::string list;
    for (const auto& change : changes) list += (list.empty() ? "" : "; ") + change;
    return conflict("breaking change to kind " + proposed.iri + " under version " +
                        std::to_string(registered.version) + " (" + list +
                        "): register it as mpli:kindVersion " +
                        std::to_string(registered.version + 1),
                    {{"field", "mpli:kindVersion"}, {"change", changes.front()}});
  }
  return KindRegistration::kUpdated;
}

}  // namespace mpli::discovery
