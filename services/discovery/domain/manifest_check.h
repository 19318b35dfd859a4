// Accepts or rejects one manifest text: its size, strict parsing (line and column on error),
// its triple count and term lengths, the manifest shapes (every violation listed), then the
// catalogue's own reading of it. The shapes
// are compiled once; each check works on its own copy of their term table, so checks run in
// parallel and a hostile manifest cannot grow memory shared with the others.
#pragma once

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "libs/core/status.h"
#include "libs/shacl/shapes.h"
#include "mpli/discovery/v1/discovery.pb.h"
#include "services/discovery/domain/manifest_owners.h"
#include "services/discovery/domain/offering.h"
#include "services/discovery/domain/service_kind.h"

namespace mpli::discovery {

using ViolationRecord = Violation;

struct ManifestProblem {
  // MANIFEST_SYNTAX, MANIFEST_SHAPE, MANIFEST_CONTENT or MANIFEST_TOO_LARGE
  v1::ErrorReason reason = v1::ERROR_REASON_UNSPECIFIED;
  std::string message;
  unsigned line = 0;
  unsigned column = 0;
  std::vector<ViolationRecord> violations;
  // The providers and offerings the violations belong to (Violation::owner), for reports
  // grouped the way the manifest was written.
  std::vector<ManifestNode> owners;
};

struct AcceptedManifest {
  ManifestSummary summary;
  std::string ntriples;  // the whole manifest, normalised, blank nodes prefixed per provider
  // sh:Warning and sh:Info results: advice that does not refuse the manifest.
  std::vector<ViolationRecord> warnings;
  std::vector<ManifestNode> owners;
};

using CheckOutcome = std::variant<AcceptedManifest, ManifestProblem>;

// The documented limits of one manifest (docs/manifests.md), the same for uploads and URLs.
struct ManifestLimits {
  size_t max_bytes = 8 * 1024 * 1024;  // manifest.max_bytes
  size_t max_triples = 100000;         // manifest.max_triples
  // One IRI or literal: long enough for any honest description, short enough that a line of
  // the catalogue export always fits in a bus message.
  size_t max_term_bytes = 64 * 1024;
};

// The Status a rejected manifest becomes: kTooLarge for MANIFEST_TOO_LARGE, else
// kInvalidArgument; the reason, line and column as details; the violations attached.
Status problem_status(const ManifestProblem& problem);

// The violations as a JSON array of {focus_node, path, constraint, value, message, severity}:
// the one shape clients see in a 422 and operators see in a stored rejection.
nlohmann::json violations_json(const ManifestProblem& problem);

// The manifest shapes and the kinds of service the hub knows. Every offering is checked
// against the manifest shapes and against the shape of its kind (mpli:kindShape of the kind
// its mpli:offeringKind names); an offering of a kind the hub does not know is accepted as
// unclassified (kind_version 0) with a warning.
class ManifestChecker {
 public:
  // Reads and compiles the shapes file once; an ill-formed shapes file is an error here.
  static Result<std::shared_ptr<const ManifestChecker>> load(const std::string& shapes_path,
                                                             ManifestLimits limits = {},
                                                             std::vector<ServiceKind> kinds = {});
  // `kinds`: the current version of each kind (read_service_kind); their shapes are compiled
  // with the manifest shapes.
  static Result<std::shared_ptr<const ManifestChecker>> from_text(
      std::string shapes_turtle, ManifestLimits limits = {}, std::vector<ServiceKind> kinds = {});

  // `source` names the manifest in messages (its URL, or "upload").
  CheckOutcome check(std::string_view manifest_text, const std::string& source) const;

  const std::vector<ServiceKind>& kinds() const { return kinds_; }
  // The same shapes with another set of kinds (after a registration).
  Result<std::shared_ptr<const ManifestChecker>> with_kinds(std::vector<ServiceKind> kinds) const;

 private:
  struct CompiledKind {
    uint32_t shape = 0;  // index of the kind shape in program_
    size_t kind = 0;     // index into kinds_
  };
  ManifestChecker(shacl::ShapesProgram program, ManifestLimits limits, std::string shapes_turtle,
                  std::vector<ServiceKind> kinds, std::map<rdf::TermId, CompiledKind> by_term)
      : program_(std::move(program)),
        limits_(limits),
        shapes_turtle_(std::move(shapes_turtle)),
        kinds_(std::move(kinds)),
        kinds_by_term_(std::move(by_term)) {}
  // Sets each offering's kind IRI, kind version (0: unclassified), filterable property
  // values, and marks an unclassified offering's hash so that classifying it is a change.
  void classify(const rdf::Graph& data, std::vector<OfferingRecord>& offerings) const;

  // Compiled once against its own term table; each check clones that table (same ids) and
  // adds the manifest's terms to the clone only.
  shacl::ShapesProgram program_;
  ManifestLimits limits_;
  std::string shapes_turtle_;
  std::vector<ServiceKind> kinds_;
  std::map<rdf::TermId, CompiledKind> kinds_by_term_;  // the kind's IRI in program_'s table
};

}  // namespace mpli::discovery
