#include "services/discovery/domain/manifest_check.h"

#include <algorithm>
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

Result<shacl::ShapesProgram> compile(const std::string& shapes_turtle,
                                     const rdf::TermTablePtr& terms) {
  rdf::Graph shapes(terms);
  MPLI_RETURN_IF_ERROR(rdf::parse_string(shapes_turtle, "manifest-shapes", shapes));
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

Result<std::shared_ptr<const ManifestChecker>> ManifestChecker::load(const std::string& shapes_path,
                                                                     ManifestLimits limits) {
  std::ifstream in(shapes_path);
  if (!in) return invalid_argument("cannot read manifest shapes " + shapes_path);
  std::stringstream text;
  text << in.rdbuf();
  return from_text(text.str(), limits);
}

Result<std::shared_ptr<const ManifestChecker>> ManifestChecker::from_text(std::string shapes_turtle,
                                                                          ManifestLimits limits) {
  auto program = compile(shapes_turtle, std::make_shared<rdf::TermTable>());
  if (!program)
    return Status(program.status().code(), "manifest shapes: " + program.status().message());
  return std::shared_ptr<const ManifestChecker>(
      new ManifestChecker(std::move(program).value(), limits));
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
  AcceptedManifest accepted;
  accepted.warnings = std::move(advice);
  accepted.owners = std::move(owners);
  accepted.ntriples = normalised_ntriples(data, summary->provider_id);
  accepted.summary = std::move(summary).value();
  return accepted;
}

}  // namespace mpli::discovery
