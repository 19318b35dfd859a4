#include "services/discovery/domain/manifest_check.h"

#include <fstream>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "libs/core/digest.h"
#include "libs/rdf/parser.h"
#include "libs/rdf/serializer.h"
#include "libs/shacl/report.h"
#include "libs/shacl/validator.h"
#include "services/discovery/domain/manifest_reader.h"

namespace mpli::discovery {
namespace {

Result<shacl::ShapesProgram> compile(const std::string& shapes_turtle,
                                     const rdf::TermTablePtr& terms) {
  rdf::Graph shapes(terms);
  MPLI_RETURN_IF_ERROR(rdf::parse_string(shapes_turtle, "manifest-shapes", shapes));
  return shacl::compile_shapes(shapes);
}

std::string text_of(const nlohmann::json& j, const char* key) {
  if (!j.contains(key)) return "";
  const auto& v = j[key];
  if (v.is_string()) return v.get<std::string>();
  if (v.is_array() && !v.empty() && v[0].is_string()) return v[0].get<std::string>();
  return v.dump();
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

}  // namespace

nlohmann::json violations_json(const ManifestProblem& problem) {
  nlohmann::json violations = nlohmann::json::array();
  for (const auto& v : problem.violations) {
    violations.push_back({{"focus_node", v.focus_node}, {"path", v.path},
                          {"constraint", v.constraint}, {"value", v.value},
                          {"message", v.message}, {"severity", v.severity}});
  }
  return violations;
}

Result<std::shared_ptr<const ManifestChecker>> ManifestChecker::load(const std::string& shapes_path) {
  std::ifstream in(shapes_path);
  if (!in) return invalid_argument("cannot read manifest shapes " + shapes_path);
  std::stringstream text;
  text << in.rdbuf();
  return from_text(text.str());
}

Result<std::shared_ptr<const ManifestChecker>> ManifestChecker::from_text(std::string shapes_turtle) {
  auto program = compile(shapes_turtle, std::make_shared<rdf::TermTable>());
  if (!program) return Status(program.status().code(), "manifest shapes: " + program.status().message());
  return std::shared_ptr<const ManifestChecker>(new ManifestChecker(std::move(program).value()));
}

CheckOutcome ManifestChecker::check(std::string_view manifest_text, const std::string& source) const {
  rdf::TermTablePtr terms = program_.terms->clone();
  rdf::Graph data(terms);
  std::vector<rdf::ParseError> errors;
  rdf::ParseOptions options;
  options.strict = true;
  options.base_iri = source.rfind("http", 0) == 0 ? source : "urn:mpli:upload";
  Status parsed = rdf::parse_string(manifest_text, source, data, options, &errors);
  if (!parsed.is_ok()) {
    ManifestProblem problem;
    problem.reason = "syntax";
    if (!errors.empty()) {
      problem.line = errors.front().line;
      problem.column = errors.front().column;
      problem.message = errors.front().to_string();
    } else {
      problem.message = parsed.message();
    }
    return problem;
  }

  // The program's ids are valid in the clone, so it validates the clone's graph as it is.
  shacl::Validator validator(program_, data);
  shacl::ValidationReport report = validator.validate();
  if (!report.conforms) {
    ManifestProblem problem;
    problem.reason = "shape";
    // Reports name data terms, so they read from the manifest's table (rare: copy the program).
    shacl::ShapesProgram reporting = program_;
    reporting.terms = terms;
    nlohmann::json results = shacl::report_json(report, reporting)["results"];
    bool blocking = false;  // sh:Warning and sh:Info results are advice; they do not reject
    for (const auto& r : results) {
      ViolationRecord v{text_of(r, "focusNode"), text_of(r, "resultPath"),
                        text_of(r, "sourceConstraintComponent"), text_of(r, "value"),
                        text_of(r, "resultMessage"), text_of(r, "resultSeverity")};
      blocking = blocking || v.severity.find("Violation") != std::string::npos;
      problem.violations.push_back(std::move(v));
    }
    if (blocking) {
      problem.message = std::to_string(problem.violations.size()) +
                        " violation(s) of the manifest shapes";
      return problem;
    }
  }

  auto summary = read_manifest(data);
  if (!summary) return ManifestProblem{"content", summary.status().message(), 0, 0, {}};
  AcceptedManifest accepted;
  accepted.ntriples = normalised_ntriples(data, summary->provider_id);
  accepted.summary = std::move(summary).value();
  return accepted;
}

}  // namespace mpli::discovery
