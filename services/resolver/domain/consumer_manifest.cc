#include "services/resolver/domain/consumer_manifest.h"

#include <algorithm>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "libs/rdf/parser.h"
#include "libs/shacl/report.h"
#include "libs/shacl/validator.h"
#include "services/resolver/domain/catalogue_index.h"
#include "services/resolver/domain/graph_reading.h"

namespace mpli::resolver {

namespace {

// The base IRI of a manifest without @base: relative IRIs must still name distinct nodes.
constexpr const char* kUploadBase = "urn:mpli:consumer-manifest";

std::string mpli(std::string_view local) { return std::string(kMpli) + std::string(local); }

bool has_type(const rdf::Graph& graph, TermId node, TermId klass) {
  return graph.contains(node, graph.terms().well_known().rdf_type, klass);
}

Status syntax_error(const std::vector<rdf::ParseError>& errors, const Status& parsed) {
  if (errors.empty()) {
    return resolver_error(StatusCode::kInvalidArgument, "MANIFEST_SYNTAX", parsed.message());
  }
  const rdf::ParseError& first = errors.front();
  return resolver_error(
      StatusCode::kInvalidArgument, "MANIFEST_SYNTAX", first.to_string(),
      {{"line", std::to_string(first.line)}, {"column", std::to_string(first.column)}});
}

Status parse(std::string_view text, rdf::Graph& graph, rdf::NodePositions* positions = nullptr) {
  rdf::ParseOptions options;
  options.strict = true;
  options.base_iri = kUploadBase;
  options.node_positions = positions;
  std::vector<rdf::ParseError> errors;
  Status parsed = rdf::parse_string(text, "manifest", graph, options, &errors);
  if (!parsed.is_ok()) return syntax_error(errors, parsed);
  return Status::ok();
}

}  // namespace

Status resolver_error(StatusCode code, std::string_view reason, std::string message,
                      std::map<std::string, std::string> details) {
  details["reason"] = std::string(reason);
  details["domain"] = kErrorDomain;
  return Status(code, std::move(message), std::move(details));
}

Result<std::shared_ptr<const ConsumerManifestReader>> ConsumerManifestReader::create(
    std::string_view consumer_shapes_turtle, ManifestLimits limits) {
  rdf::Graph shapes(std::make_shared<rdf::TermTable>());
  rdf::ParseOptions options;
  options.base_iri = "https://w3id.org/mpli/shapes";
  MPLI_RETURN_IF_ERROR(rdf::parse_string(consumer_shapes_turtle, "consumer.ttl", shapes, options));
  MPLI_ASSIGN_OR_RETURN(auto program, shacl::compile_shapes(shapes));
  return std::shared_ptr<const ConsumerManifestReader>(
      new ConsumerManifestReader(std::move(program), limits));
}

Status ConsumerManifestReader::check(std::string_view text) const {
  if (text.size() > limits_.max_bytes) {
    return resolver_error(StatusCode::kTooLarge, "MANIFEST_TOO_LARGE",
                          "the manifest has " + std::to_string(text.size()) +
                              " bytes; the limit is " + std::to_string(limits_.max_bytes));
  }
  rdf::TermTablePtr terms = program_.terms->clone();
  rdf::Graph data(terms);
  rdf::NodePositions positions;  // each violation names the line of its node
  MPLI_RETURN_IF_ERROR(parse(text, data, &positions));
  if (data.size() > limits_.max_triples) {
    return resolver_error(StatusCode::kTooLarge, "MANIFEST_TOO_LARGE",
                          "the manifest has " + std::to_string(data.size()) +
                              " triples; the limit is " + std::to_string(limits_.max_triples));
  }
  shacl::Validator validator(program_, data);
  shacl::ValidationReport report = validator.validate();
  if (report.conforms) return Status::ok();
  shacl::ShapesProgram reporting = program_;
  reporting.terms = terms;
  std::vector<Violation> violations = shacl::report_violations(report, reporting, &positions);
  // Counted before the move: argument evaluation order is unspecified.
  std::string message =
      std::to_string(violations.size()) + " violation(s) of the consumer manifest shapes";
  return resolver_error(StatusCode::kInvalidArgument, "MANIFEST_SHAPE", std::move(message))
      .with_violations(std::move(violations));
}

Result<std::unique_ptr<ConsumerManifest>> ConsumerManifestReader::read(
    std::string_view text, const rdf::TermTablePtr& terms) const {
  MPLI_RETURN_IF_ERROR(check(text));
  auto manifest = std::make_unique<ConsumerManifest>(terms);
  rdf::Graph& graph = manifest->graph;
  MPLI_RETURN_IF_ERROR(parse(text, graph));
  graph.index();
  rdf::TermTable& t = *terms;
  const TermId type = t.well_known().rdf_type;
  const TermId manifest_class = t.iri(mpli("ConsumerManifest"));
  TermId root = rdf::kNoTerm;
  for (const rdf::Triple& triple : graph.with_predicate_object(type, manifest_class)) {
    if (root != rdf::kNoTerm) {
      return resolver_error(StatusCode::kInvalidArgument, "MANIFEST_SHAPE",
                            "a consumer manifest holds one mpli:ConsumerManifest node");
    }
    root = triple.s;
  }
  if (root == rdf::kNoTerm) {
    return resolver_error(StatusCode::kInvalidArgument, "MANIFEST_SHAPE",
                          "no node is typed mpli:ConsumerManifest");
  }
  manifest->manifest_iri = node_name(t, root);
  manifest->consumer = graph.object(root, t.iri(mpli("consumer")));
  manifest->consumer_iri = node_name(t, manifest->consumer);

  // Requirements in a stable order (by node name), so answers list them the same each time.
  std::vector<TermId> requirement_nodes = objects_of(graph, root, t.iri(mpli("requirement")));
  std::sort(requirement_nodes.begin(), requirement_nodes.end(),
            [&](TermId a, TermId b) { return node_name(t, a) < node_name(t, b); });
  if (requirement_nodes.size() > limits_.max_requirements) {
    return resolver_error(StatusCode::kTooLarge, "MANIFEST_TOO_LARGE",
                          "the manifest states " + std::to_string(requirement_nodes.size()) +
                              " requirements; the limit is " +
                              std::to_string(limits_.max_requirements));
  }
  auto compiled = shacl::compile_shapes(graph);
  if (!compiled.is_ok()) {
    return resolver_error(StatusCode::kInvalidArgument, "MANIFEST_SHAPE",
                          "a requirement shape does not compile: " + compiled.status().message());
  }
  auto program = std::make_shared<shacl::ShapesProgram>(std::move(*compiled));
  const TermId label = t.iri("http://www.w3.org/2000/01/rdf-schema#label");
  for (TermId node : requirement_nodes) {
    Requirement r;
    r.node = node;
    r.iri = node_name(t, node);
    TermId label_value = graph.object(node, label);
    r.label = label_value == rdf::kNoTerm ? r.iri : std::string(t.value(label_value));
    r.quantity =
        static_cast<int>(number_of(t, graph.object(node, t.iri(mpli("quantity")))).value_or(1));
    r.shape_node = graph.object(node, t.iri(mpli("requirementShape")));
    bool found = false;
    for (uint32_t i = 0; i < program->shapes.size(); ++i) {
      if (program->shapes[i].node == r.shape_node && !program->shapes[i].is_property) {
        r.shape = i;
        found = true;
        break;
      }
    }
    if (!found) {
      return resolver_error(StatusCode::kInvalidArgument, "MANIFEST_SHAPE",
                            "the requirement shape of " + r.iri + " is not a node shape");
    }
    manifest->requirements.push_back(std::move(r));
  }
  auto requirement_index = [&](TermId node) -> std::optional<uint32_t> {
    for (uint32_t i = 0; i < manifest->requirements.size(); ++i) {
      if (manifest->requirements[i].node == node) return i;
    }
    return std::nullopt;
  };

  const std::string schema = "https://schema.org/";
  std::vector<TermId> constraint_nodes = objects_of(graph, root, t.iri(mpli("constraint")));
  std::sort(constraint_nodes.begin(), constraint_nodes.end(),
            [&](TermId a, TermId b) { return node_name(t, a) < node_name(t, b); });
  for (TermId node : constraint_nodes) {
    ConstraintSpec c;
    c.node = node_name(t, node);
    for (TermId target : objects_of(graph, node, t.iri(mpli("appliesTo")))) {
      auto index = requirement_index(target);
      if (!index) {
        return resolver_error(StatusCode::kInvalidArgument, "MANIFEST_SHAPE",
                              "constraint " + c.node + " applies to " + node_name(t, target) +
                                  ", which is not a requirement of this manifest");
      }
      c.applies_to.push_back(*index);
    }
    std::sort(c.applies_to.begin(), c.applies_to.end());
    if (has_type(graph, node, t.iri(mpli("SameCountry")))) {
      c.kind = CrossConstraint::Kind::kSameCountry;
    } else if (has_type(graph, node, t.iri(mpli("SameProvider")))) {
      c.kind = CrossConstraint::Kind::kSameProvider;
    } else if (has_type(graph, node, t.iri(mpli("MaxProviders")))) {
      c.kind = CrossConstraint::Kind::kMaxProviders;
      c.max_providers = static_cast<uint32_t>(
          number_of(t, graph.object(node, t.iri(mpli("maxProviders")))).value_or(1));
    } else {
      c.kind = CrossConstraint::Kind::kMonthlyBudget;
      c.max_monthly_price =
          number_of(t, graph.object(node, t.iri(schema + "maxPrice"))).value_or(0);
      TermId currency = graph.object(node, t.iri(schema + "priceCurrency"));
      c.currency = currency == rdf::kNoTerm ? "" : std::string(t.value(currency));
    }
    manifest->constraints.push_back(std::move(c));
  }
  // One currency per resolution: the budgets' (the consumer shapes allow one per budget; two
  // budgets in different currencies cannot both hold and are refused here).
  for (const ConstraintSpec& c : manifest->constraints) {
    if (c.kind != CrossConstraint::Kind::kMonthlyBudget) continue;
    if (!manifest->currency.empty() && manifest->currency != c.currency) {
      return resolver_error(StatusCode::kInvalidArgument, "MANIFEST_SHAPE",
                            "budgets in " + manifest->currency + " and " + c.currency +
                                ": a resolution uses one currency");
    }
    manifest->currency = c.currency;
  }
  if (manifest->currency.empty()) manifest->currency = kDefaultCurrency;

  std::vector<TermId> preference_nodes = objects_of(graph, root, t.iri(mpli("preference")));
  std::sort(preference_nodes.begin(), preference_nodes.end(),
            [&](TermId a, TermId b) { return node_name(t, a) < node_name(t, b); });
  for (TermId node : preference_nodes) {
    PreferenceSpec p;
    p.node = node_name(t, node);
    p.weight = number_of(t, graph.object(node, t.iri(mpli("weight")))).value_or(1.0);
    if (has_type(graph, node, t.iri(mpli("PreferCheapest")))) {
      p.kind = PreferenceSpec::Kind::kCheapest;
    } else if (has_type(graph, node, t.iri(mpli("PreferClosestRegion")))) {
      p.kind = PreferenceSpec::Kind::kClosestRegion;
      TermId near = graph.object(node, t.iri(mpli("near")));
      p.latitude = number_of(t, graph.object(near, t.iri(schema + "latitude")));
      p.longitude = number_of(t, graph.object(near, t.iri(schema + "longitude")));
    } else {
      p.kind = PreferenceSpec::Kind::kProviders;
      for (TermId provider : objects_of(graph, node, t.iri(mpli("preferredProvider")))) {
        p.providers.emplace_back(t.value(provider));
      }
    }
    manifest->preferences.push_back(std::move(p));
  }
  manifest->program = std::move(program);
  return manifest;
}

}  // namespace mpli::resolver
