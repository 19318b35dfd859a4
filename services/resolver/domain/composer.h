// Composition and ranking: choose one placement (an offering in one region) per requirement so
// that every cross-requirement constraint holds, and return the best answers by score. Pure:
// no RDF, no I/O. The matcher turns SHACL results into placements; docs/manifests.md
// ("How the resolver composes and ranks") is the user-facing statement of these rules.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mpli::resolver {

inline constexpr uint32_t kNoCountry = 0xffffffffu;

// One way to serve one requirement: an offering placed in one of its regions.
struct Placement {
  uint32_t offering = 0;          // the caller's handle for the offering (opaque here)
  uint32_t provider = 0;          // dense provider id (equal ids = same provider)
  uint32_t country = kNoCountry;  // dense id of the region's country; kNoCountry when unknown
  double cost = 0;                // quantity x unit monthly price, in the resolution's currency
  double distance_km = -1;        // great-circle distance from mpli:near; < 0 when unknown
  bool preferred_provider = false;
  // Total order among equal scores: (tie_key, tie_subkey) compared as strings; the resolver
  // gives the offering IRI and the region code. Views: the caller keeps the characters alive
  // until compose() returns (building 100,000 key strings cost more than the search).
  std::string_view tie_key;
  std::string_view tie_subkey;
};

struct CrossConstraint {
  enum class Kind { kSameCountry, kSameProvider, kMaxProviders, kMonthlyBudget };
  Kind kind = Kind::kSameCountry;
  std::vector<uint32_t> applies_to;  // requirement indexes; empty = every requirement
  uint32_t max_providers = 0;        // kMaxProviders: distinct providers among applies_to
  double max_monthly_price = 0;      // kMonthlyBudget: sum of costs among applies_to (within
                                     // a relative 1e-9, so a budget met exactly holds)
};

// Weights of the stated preferences; 0 = not stated. With none stated, answers rank by price.
struct PreferenceWeights {
  double cheapest = 0;
  double closest = 0;
  double providers = 0;
};

struct CompositionRequest {
  std::vector<std::vector<Placement>> placements;  // per requirement
  std::vector<CrossConstraint> constraints;
  PreferenceWeights weights;
  size_t top_k = 10;
  // Search nodes visited before giving up; the result says when it did.
  uint64_t max_search_nodes = 5'000'000;
};

struct ComposedAnswer {
  std::vector<uint32_t> choice;  // per requirement: index into placements[requirement]
  double price = 0;              // sum of costs
  double score = 0;              // weighted mean of the values below (weights normalised)
  double price_value = 0;        // cheapest feasible price / price (1 when both are 0)
  double distance_value = 0;     // mean over requirements of 1 / (1 + km / 500); 0 when unknown
  double provider_value = 0;     // share of requirements placed at a preferred provider
};

struct CompositionResult {
  std::vector<ComposedAnswer> answers;  // best first: score desc, price asc, tie keys asc
  uint64_t feasible = 0;                // complete feasible answers the search scored
  uint64_t search_nodes = 0;
  bool search_exhausted = false;  // stopped at max_search_nodes: answers may not be best
  double cheapest_price = -1;     // cheapest feasible answer's price; < 0 when none
  // When no answer exists although every requirement has placements: the constraints that
  // made the search fail (indexes into request.constraints), most often blocking first.
  std::vector<uint32_t> blocking_constraints;
};

// Value of one placement's distance: 1 / (1 + km / 500), 0 when unknown.
double distance_value(double distance_km);

// Branch and bound: requirements are taken in order of fewest placements, placements in order of
// cost; a branch is cut as soon as a constraint already fails (different country, different
// provider, too many providers, partial cost plus the cheapest completion over budget) or when
// its best possible score cannot enter the current top K. First pass: the cheapest feasible
// price (normalises price_value); second pass: the top K by score.
CompositionResult compose(const CompositionRequest& request);

}  // namespace mpli::resolver
