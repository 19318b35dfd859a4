// A consumer manifest read for resolution: checked against ontology/shapes/consumer.ttl, then
// parsed into the index's TermTable with its requirement shapes compiled, and its cross
// constraints and preferences read into plain values.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "libs/core/status.h"
#include "libs/rdf/graph.h"
#include "libs/shacl/shapes.h"
#include "services/resolver/domain/composer.h"

namespace mpli::resolver {

using rdf::TermId;

inline constexpr const char* kErrorDomain = "resolver";
inline constexpr const char* kDefaultCurrency = "EUR";

struct ManifestLimits {
  size_t max_bytes = 1 << 20;
  size_t max_triples = 20000;
  size_t max_requirements = 20;
};

struct Requirement {
  TermId node = rdf::kNoTerm;
  std::string iri;  // IRI or blank node label
  std::string label;
  int quantity = 1;
  TermId shape_node = rdf::kNoTerm;
  uint32_t shape = 0;  // index into ConsumerManifest::program.shapes
};

struct ConstraintSpec {
  CrossConstraint::Kind kind = CrossConstraint::Kind::kSameCountry;
  std::string node;
  std::vector<uint32_t> applies_to;  // requirement indexes; empty = all
  uint32_t max_providers = 0;
  double max_monthly_price = 0;
  std::string currency;
};

struct PreferenceSpec {
  enum class Kind { kCheapest, kClosestRegion, kProviders };
  Kind kind = Kind::kCheapest;
  std::string node;
  double weight = 1.0;  // mpli:weight, default 1
  std::optional<double> latitude;
  std::optional<double> longitude;
  std::vector<std::string> providers;  // preferred provider IRIs
};

struct ConsumerManifest {
  std::string manifest_iri;
  TermId consumer = rdf::kNoTerm;
  std::string consumer_iri;
  std::vector<Requirement> requirements;
  std::vector<ConstraintSpec> constraints;
  std::vector<PreferenceSpec> preferences;
  std::string currency;  // the budget's currency, else kDefaultCurrency
  rdf::Graph graph;      // the manifest, in the index's TermTable
  std::shared_ptr<const shacl::ShapesProgram> program;  // its shapes, same table

  explicit ConsumerManifest(rdf::TermTablePtr terms) : graph(std::move(terms)) {}
};

// Checks consumer manifests against the consumer shapes, compiled once.
class ConsumerManifestReader {
 public:
  static Result<std::shared_ptr<const ConsumerManifestReader>> create(
      std::string_view consumer_shapes_turtle, ManifestLimits limits = {});

  // Errors carry reason MANIFEST_SYNTAX (line, column), MANIFEST_SHAPE (violations),
  // MANIFEST_TOO_LARGE, domain "resolver". `terms` is the index's table.
  Result<std::unique_ptr<ConsumerManifest>> read(std::string_view text,
                                                 const rdf::TermTablePtr& terms) const;

 private:
  ConsumerManifestReader(shacl::ShapesProgram program, ManifestLimits limits)
      : program_(std::move(program)), limits_(limits) {}
  Status check(std::string_view text) const;

  shacl::ShapesProgram program_;
  ManifestLimits limits_;
};

// A Status with {"reason": reason, "domain": "resolver"} and `details`.
Status resolver_error(StatusCode code, std::string_view reason, std::string message,
                      std::map<std::string, std::string> details = {});

}  // namespace mpli::resolver
