// Requirement shapes checked against candidates through the index's path columns, with the
// SHACL engine's answers and results, for the property shapes whose outcome is a function of
// the values their path reaches and nothing else.
//
// Such a property shape (a forward path of predicates; constraints that look only at the value
// terms: sh:datatype, sh:nodeKind, counts, ranges, lengths, sh:pattern, languages, sh:hasValue,
// sh:in, and sh:not / sh:and / sh:or / sh:xone / sh:node / qualified value shapes over node
// shapes of those) gives the same outcome and the same results (but for their focus) at every
// focus whose path reaches the same values, in any provider's graph. So the engine evaluates
// it once per distinct value set met in a request, on the first candidate with that set, and
// every other candidate costs a read of its column cell and a lookup: no SHACL semantics are
// re-implemented here (comparisons of literals of different datatypes, ill-typed literals,
// ...), so none can differ. The other property shapes go to the engine through
// shacl::NodeCheckCache as before.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <memory_resource>
#include <optional>
#include <unordered_map>
#include <vector>

#include "libs/shacl/node_check_cache.h"
#include "libs/shacl/validator.h"
#include "services/resolver/domain/catalogue_index.h"
#include "services/resolver/domain/consumer_manifest.h"

namespace mpli::resolver {

// The predicates of `property_shape`'s path when its outcome is decided by its values alone
// (see above), else nullopt.
std::optional<PredicatePath> column_path(const shacl::ShapesProgram& program,
                                         uint32_t property_shape);

// Has `index` keep a column for every path of `manifest`'s requirement shapes that a column
// can decide, so that resolving it reads them. Callers that do not (or an index that dropped
// a column) get the same answers from the engine alone, more slowly.
void prepare_columns(CatalogueIndex& index, const ConsumerManifest& manifest);

// Validation results in memory someone else owns (an arena): a view that costs nothing to
// destroy, for candidates kept by the tens of thousands.
struct ResultSpan {
  const shacl::ValidationResult* data = nullptr;
  uint32_t count = 0;
  const shacl::ValidationResult* begin() const { return data; }
  const shacl::ValidationResult* end() const { return data + count; }
  size_t size() const { return count; }
  bool empty() const { return count == 0; }
  const shacl::ValidationResult& operator[](size_t i) const { return data[i]; }
};

// `results` copied into `memory` (an arena: never freed one by one).
ResultSpan copy_results(ResultSpan results, std::pmr::memory_resource* memory);

// One request's checks of requirement shapes against offerings: same answer and results, in
// the same order, as shacl::Validator::validate_node(shape, ref.node, results) on the
// offering's provider graph. Not thread-safe; lives for one request, while the index does not
// change.
class ShapeChecks {
 public:
  ShapeChecks(const shacl::ShapesProgram& program, const CatalogueIndex& index);

  bool requirement(uint32_t shape, const OfferingRef& ref,
                   std::vector<shacl::ValidationResult>* results);
  // Asks for the column cells that checking `ref` against `shape` reads: a scan over a
  // kind's candidates calls it a few candidates ahead, as their rows are far apart.
  void prefetch(uint32_t shape, const OfferingRef& ref);
  // The same, the results copied into `memory` (an arena: they are never freed one by one),
  // or with `memory` nullptr a view of this object's own copy, valid until its next check (a
  // scan that keeps few of the rejected candidates copies only those: copy_results).
  bool requirement(uint32_t shape, const OfferingRef& ref, std::pmr::memory_resource* memory,
                   ResultSpan* results);

 private:
  struct Outcome {
    bool conforms = true;
    std::vector<shacl::ValidationResult> results;  // focus as first computed; replaced on use
  };
  struct Member {
    uint32_t shape = 0;                  // the property shape
    const PathColumn* column = nullptr;  // nullptr: the engine decides it
    // Outcome indexes by the values the path reaches: one value (or kNoTerm), or several.
    std::unordered_map<TermId, uint32_t> by_value;
    std::map<std::vector<TermId>, uint32_t> by_values;
    // The last outcome found for single values, by a hash of the value: a few values (vCPU
    // counts, formats, a provider's certifications) make most lookups, and a hit here costs
    // one compare where the map costs a hash and a pointer chase.
    struct Recent {
      TermId value = PathColumn::kSeveral;  // never a key: empty
      uint32_t index = 0;
    };
    std::array<Recent, 64> recent{};
  };
  struct Plan {
    bool columns = false;  // every constraint is sh:property and some member has a column
    std::vector<Member> members;
  };

  Plan& plan_of(uint32_t shape);
  const Outcome& outcome(Member& member, const OfferingRef& ref);
  shacl::Validator& validator(const ProviderSegment& provider);

  const shacl::ShapesProgram& program_;
  const CatalogueIndex& index_;
  shacl::NodeCheckCache cache_;
  std::unique_ptr<shacl::Validator> validator_;
  std::unordered_map<uint32_t, Plan> plans_;
  uint32_t last_shape_ = 0;
  Plan* last_plan_ = nullptr;
  std::vector<Outcome> outcomes_;
  std::vector<shacl::ValidationResult> scratch_;
};

}  // namespace mpli::resolver
