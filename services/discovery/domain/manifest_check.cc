#include "services/discovery/domain/manifest_check.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "libs/core/digest.h"
#include "libs/core/violation_json.h"
#include "libs/rdf/parser.h"
#include "libs/rdf/serializer.h"
#include "libs/shacl/report.h"
#include "libs/shacl/validator.h"
#include "services/discovery/domain/errors.h"
#include "services/discovery/domain/manifest_reader.h"

namespace mpli::discovery {
namespace {

constexpr std::string_view kOfferingKind = "https://w3id.org/mpli#offeringKind";

// The manifest shapes and every kind's vocabulary, compiled as one program.
Result<shacl::ShapesProgram> compile(const std::string& shapes_turtle,
                                     const std::vector<ServiceKind>& kinds,
                                     const rdf::TermTablePtr& terms) {
  rdf::Graph shapes(terms);
  MPLI_RETURN_IF_ERROR(rdf::parse_string(shapes_turtle, "manifest-shapes", shapes));
  for (const auto& kind : kinds) {
    Status parsed = rdf::parse_string(kind.turtle, "kind " + kind.iri, shapes);
    if (!parsed.is_ok()) return Status(parsed.code(), "kind " + kind.iri + ": " + parsed.message());
  }
  return shacl::compile_shapes(shapes);
}

// N-Triples of the whole manifest with blank nodes renamed "_:<provider>_<n>", so manifests of
// different providers concatenate into one catalogue without their blank nodes merging.
std::string normalised_ntriples(const rdf::Graph& graph, const std::string& provider_id) {
  const rdf::TermTable& terms = graph.terms();
  std::map<rdf::TermId, std::string> labels;
  std::string prefix = "_:p" + digest::sha256_hex(provider_id).substr(0, 8) + "b";
  auto term = [&](rdf::TermId id) {
    if (!terms.is_blank(id)) return terms.to_ntriples(id);
    auto [it, fresh] = labels.emplace(id, prefix + std::to_string(labels.size()));
    return it->second;
  };
  std::string out;
  for (const auto& t : graph.triples()) {
    out += term(t.s) + " " + term(t.p) + " " + term(t.o) + " .\n";
  }
  return out;
}

ManifestProblem too_large(std::string message) {
  ManifestProblem problem;
  problem.reason = v1::MANIFEST_TOO_LARGE;
  problem.message = std::move(message);
  return problem;
}

// The first IRI or literal longer than `limit` bytes, if any.
std::optional<ManifestProblem> overlong_term(const rdf::Graph& graph, size_t limit) {
  const rdf::TermTable& terms = graph.terms();
  for (const auto& t : graph.triples()) {
    for (rdf::TermId id : {t.s, t.p, t.o}) {
      size_t bytes = terms.value(id).size();
      if (bytes > limit) {
        // Cut on a character boundary: the message travels in protobuf strings (UTF-8 only).
        std::string_view value = terms.value(id);
        size_t cut = 60;
        while (cut > 0 && (static_cast<unsigned char>(value[cut]) & 0xC0) == 0x80) --cut;
        std::string start(value.substr(0, cut));
        return too_large(
            "the manifest holds " + std::string(terms.is_literal(id) ? "a literal" : "an IRI") +
            " of " + std::to_string(bytes) + " bytes (\"" + start +
            "...\"); the limit for one IRI or literal is " + std::to_string(limit) + " bytes");
      }
    }
  }
  return std::nullopt;
}

}  // namespace

Status problem_status(const ManifestProblem& problem) {
  std::map<std::string, std::string> details;
  if (problem.line > 0) {
    details["line"] = std::to_string(problem.line);
    details["column"] = std::to_string(problem.column);
  }
  StatusCode code = problem.reason == v1::MANIFEST_TOO_LARGE ? StatusCode::kTooLarge
                                                             : StatusCode::kInvalidArgument;
  return discovery_error(code, problem.reason, problem.message, std::move(details))
      .with_violations(problem.violations);
}

nlohmann::json violations_json(const ManifestProblem& problem) {
  nlohmann::json violations = nlohmann::json::array();
  for (const auto& v : problem.violations) violations.push_back(violation_json(v));
  return violations;
}

Result<std::shared_ptr<const ManifestChecker>> ManifestChecker::load(
    const std::string& shapes_path, ManifestLimits limits, std::vector<ServiceKind> kinds) {
  std::ifstream in(shapes_path);
  if (!in) return invalid_argument("cannot read manifest shapes " + shapes_path);
  std::stringstream text;
  text << in.rdbuf();
  return from_text(text.str(), limits, std::move(kinds));
}

Result<std::shared_ptr<const ManifestChecker>> ManifestChecker::from_text(
    std::string shapes_turtle, ManifestLimits limits, std::vector<ServiceKind> kinds) {
  auto terms = std::make_shared<rdf::TermTable>();
  auto program = compile(shapes_turtle, kinds, terms);
  if (!program)
    return Status(program.status().code(), "manifest shapes: " + program.status().message());
  std::map<rdf::TermId, CompiledKind> by_term;
  for (size_t k = 0; k < kinds.size(); ++k) {
    rdf::TermId shape_node = terms->find_iri(kinds[k].shape_iri);
    rdf::TermId kind_node = terms->find_iri(kinds[k].iri);
    const auto& shapes = program->shapes;
    auto shape = std::find_if(shapes.begin(), shapes.end(), [&](const shacl::Shape& s) {
      return s.node == shape_node && !s.is_property;
    });
    if (shape_node == rdf::kNoTerm || kind_node == rdf::kNoTerm || shape == shapes.end()) {
      return invalid_argument("kind " + kinds[k].iri + ": its shape " + kinds[k].shape_iri +
                              " did not compile as a node shape");
    }
    by_term[kind_node] = {static_cast<uint32_t>(shape - shapes.begin()), k};
  }
  return std::shared_ptr<const ManifestChecker>(
      new ManifestChecker(std::move(program).value(), limits, std::move(shapes_turtle),
                          std::move(kinds), std::move(by_term)));
}

Result<std::shared_ptr<const ManifestChecker>> ManifestChecker::with_kinds(
    std::vector<ServiceKind> kinds) const {
  return from_text(shapes_turtle_, limits_, std::move(kinds));
}

void ManifestChecker::classify(const rdf::Graph& data,
                               std::vector<OfferingRecord>& offerings) const {
  const rdf::TermTable& terms = data.terms();
  rdf::TermId kind_predicate = terms.find_iri(kOfferingKind);
  for (OfferingRecord& offering : offerings) {
    rdf::TermId node = terms.find_iri(offering.id);
    rdf::TermId kind = data.object(node, kind_predicate);
    offering.kind_iri = kind == rdf::kNoTerm ? "" : std::string(terms.value(kind));
    auto found = kinds_by_term_.find(kind);
    const ServiceKind* known =
        found == kinds_by_term_.end() ? nullptr : &kinds_[found->second.kind];
    offering.kind_version = known == nullptr ? 0 : known->version;
    // The kind version it was checked against is part of the record: classifying an offering,
    // or checking it against a new version, changes it (an offering_changed event), and an
    // offering that did not change keeps the version its record says.
    offering.content_hash = digest::sha256_hex(offering.content_hash + "\nkind version " +
                                               std::to_string(offering.kind_version));
    if (known == nullptr) continue;
    for (const KindProperty& property : known->properties) {
      if (!property.filterable) continue;
      rdf::TermId predicate = terms.find_iri(property.iri);
      if (predicate == rdf::kNoTerm) continue;
      for (const auto& t : data.with_subject_predicate(node, predicate)) {
        if (!terms.is_literal(t.o)) continue;
        OfferingProperty value{property.iri, property.name, std::string(terms.value(t.o)),
                               std::nullopt};
        if (property.numeric()) {
          char* end = nullptr;
          double number = std::strtod(value.text.c_str(), &end);
          if (end != value.text.c_str() && *end == '\0') value.number = number;
        }
        offering.properties.push_back(std::move(value));
      }
    }
  }
}

CheckOutcome ManifestChecker::check(std::string_view manifest_text,
                                    const std::string& source) const {
  if (manifest_text.size() > limits_.max_bytes) {
    return too_large("the manifest from " + source + " has " +
                     std::to_string(manifest_text.size()) + " bytes; the limit is " +
                     std::to_string(limits_.max_bytes) + " bytes (manifest.max_bytes)");
  }
  rdf::TermTablePtr terms = program_.terms->clone();
  rdf::Graph data(terms);
  std::vector<rdf::ParseError> errors;
  rdf::ParseOptions options;
  options.strict = true;
  options.base_iri = source.rfind("http", 0) == 0 ? source : "urn:mpli:upload";
  rdf::NodePositions positions;  // each result names the line of its node
  options.node_positions = &positions;
  Status parsed = rdf::parse_string(manifest_text, source, data, options, &errors);
  if (!parsed.is_ok()) {
    ManifestProblem problem;
    problem.reason = v1::MANIFEST_SYNTAX;
    if (!errors.empty()) {
      problem.line = errors.front().line;
      problem.column = errors.front().column;
      problem.message = errors.front().to_string();
    } else {
      problem.message = parsed.message();
    }
    return problem;
  }

  // Before the shapes, which cost time in proportion to the triples.
  if (data.size() > limits_.max_triples) {
    return too_large("the manifest from " + source + " has " + std::to_string(data.size()) +
                     " triples; the limit is " + std::to_string(limits_.max_triples) +
                     " (manifest.max_triples)");
  }
  if (auto overlong = overlong_term(data, limits_.max_term_bytes)) return *overlong;

  // The program's ids are valid in the clone, so it validates the clone's graph as it is.
  shacl::Validator validator(program_, data);
  shacl::ValidationReport report = validator.validate();
  // Each offering against its kind's shape; an unknown kind is a warning, not a refusal.
  std::vector<ViolationRecord> unclassified;
  rdf::TermId kind_predicate = terms->find_iri(kOfferingKind);
  if (kind_predicate != rdf::kNoTerm) {
    for (const auto& t : data.with_predicate(kind_predicate)) {
      auto known = kinds_by_term_.find(t.o);
      if (known != kinds_by_term_.end()) {
        if (!validator.validate_node(known->second.shape, t.s, &report.results)) {
          report.conforms = false;
        }
      } else if (terms->is_iri(t.o)) {
        Violation v;
        v.focus_node = terms->to_ntriples(t.s);
        v.path = "<" + std::string(kOfferingKind) + ">";
        v.value = terms->to_ntriples(t.o);
        v.constraint = "service kind";
        v.severity = "http://www.w3.org/ns/shacl#Warning";
        v.message = "The hub knows no kind " + std::string(terms->value(t.o)) +
                    " (GET /v1/ontologies lists the kinds): the offering is listed as "
                    "unclassified, and checked against the kind once it is registered.";
        auto at = positions.find(t.s);
        if (at != positions.end()) {
          v.line = at->second.line;
          v.column = at->second.column;
        }
        unclassified.push_back(std::move(v));
      }
    }
  }
  std::vector<ViolationRecord> advice;  // sh:Warning and sh:Info results do not reject
  std::vector<ManifestNode> owners;
  if (!report.conforms) {
    // Reports name data terms, so they read from the manifest's table (rare: copy the program).
    shacl::ShapesProgram reporting = program_;
    reporting.terms = terms;
    std::vector<ViolationRecord> results = shacl::report_violations(report, reporting, &positions);
    owners = assign_owners(data, positions, results);
    bool blocking = std::any_of(results.begin(), results.end(), [](const ViolationRecord& v) {
      return v.severity.find("Violation") != std::string::npos;
    });
    if (blocking) {
      ManifestProblem problem;
      problem.reason = v1::MANIFEST_SHAPE;
      problem.message = std::to_string(results.size()) + " violation(s) of the manifest shapes";
      problem.violations = std::move(results);
      problem.owners = std::move(owners);
      return problem;
    }
    advice = std::move(results);
  }

  auto summary = read_manifest(data);
  if (!summary) {
    return ManifestProblem{v1::MANIFEST_CONTENT, summary.status().message(), 0, 0, {}, {}};
  }
  classify(data, summary->offerings);
  if (!unclassified.empty()) {
    for (ManifestNode& node : assign_owners(data, positions, unclassified)) {
      if (std::find(owners.begin(), owners.end(), node) == owners.end()) {
        owners.push_back(std::move(node));
      }
    }
    advice.insert(advice.end(), unclassified.begin(), unclassified.end());
  }
  AcceptedManifest accepted;
  accepted.warnings = std::move(advice);
  accepted.owners = std::move(owners);
  accepted.ntriples = normalised_ntriples(data, summary->provider_id);
  accepted.summary = std::move(summary).value();
  return accepted;
}

}  // namespace mpli::discovery
