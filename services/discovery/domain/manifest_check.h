// Accepts or rejects one manifest text: strict parsing (line and column on error), the
// manifest shapes (every violation listed), then the catalogue's own reading of it. The shapes
// are compiled once; each check works on its own copy of their term table, so checks run in
// parallel and a hostile manifest cannot grow memory shared with the others.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "libs/core/status.h"
#include "libs/shacl/shapes.h"
#include "services/discovery/domain/offering.h"

namespace mpli::discovery {

using ViolationRecord = Violation;

struct ManifestProblem {
  std::string reason;  // "syntax" | "shape" | "content"
  std::string message;
  unsigned line = 0;
  unsigned column = 0;
  std::vector<ViolationRecord> violations;
};

struct AcceptedManifest {
  ManifestSummary summary;
  std::string ntriples;  // the whole manifest, normalised, blank nodes prefixed per provider
};

using CheckOutcome = std::variant<AcceptedManifest, ManifestProblem>;

// The violations as a JSON array of {focus_node, path, constraint, value, message, severity}:
// the one shape clients see in a 422 and operators see in a stored rejection.
nlohmann::json violations_json(const ManifestProblem& problem);

class ManifestChecker {
 public:
  // Reads and compiles the shapes file once; an ill-formed shapes file is an error here.
  static Result<std::shared_ptr<const ManifestChecker>> load(const std::string& shapes_path);
  static Result<std::shared_ptr<const ManifestChecker>> from_text(std::string shapes_turtle);

  // `source` names the manifest in messages (its URL, or "upload").
  CheckOutcome check(std::string_view manifest_text, const std::string& source) const;

 private:
  explicit ManifestChecker(shacl::ShapesProgram program) : program_(std::move(program)) {}
  // Compiled once against its own term table; each check clones that table (same ids) and
  // adds the manifest's terms to the clone only.
  shacl::ShapesProgram program_;
};

}  // namespace mpli::discovery
