// Composition and ranking: choose one placement (an offering in one region) per requirement so
// that every cross-requirement constraint holds, and return the best answers by score. Pure:
// no RDF, no I/O. The matcher turns SHACL results into placements; docs/manifests.md
// ("How the resolver composes and ranks") is the user-facing statement of these rules.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "services/resolver/domain/workers.h"

namespace mpli::resolver {

inline constexpr uint32_t kNoCountry = 0xffffffffu;

// One way to serve one requirement: an offering placed in one of its regions.
struct Placement {
  uint32_t offering = 0;          // the caller's handle for the offering (opaque here)
  uint32_t provider = 0;          // dense provider id (equal ids = same provider)
  uint32_t country = kNoCountry;  // dense id of the region's country; kNoCountry when unknown
  double cost = 0;                // quantity x unit monthly price, in the resolution's currency
                                  // (never negative: the search's bounds rely on it)
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
  // Orders and buckets the requirements' placements side by side (nullptr: one at a time).
  Workers* workers = nullptr;
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
// cost. Each requirement draws only from the placements the earlier choices leave it (the bound
// country, the bound provider, the providers a used-up MaxProviders allows). A branch is cut as
// soon as a constraint already fails, or when the later requirements, each at its best within
// what it can still take, cannot complete it well enough: partial cost plus their cheapest costs
// over a budget, or (first pass) over the cheapest price found, or (second pass) a best possible
// score that cannot rank before the K-th answer kept (the bound takes, for each possible number
// of preferred placements, the cheapest completion with that many, and every later requirement
// at its best distance; it never falls below the score an answer gets, rounding included, so a
// bound that only ties the K-th score is decided by price). A cut never drops an answer of the
// top K or the cheapest price, so `answers` and `cheapest_price` do not depend on the pruning
// (short of the node limit); `feasible` and `search_nodes` count what this search visited.
// First pass: the cheapest feasible price (normalises price_value); second pass: the top K by
// score. When no answer exists, the search runs again without the pruning above (buckets only
// for SameCountry and SameProvider, later requirements at their cheapest overall), as the
// diagnosis does, so that blocking_constraints, ranked by how often each constraint cut a
// branch, does not depend on it; search_nodes and search_exhausted are then that search's.
CompositionResult compose(const CompositionRequest& request);

}  // namespace mpli::resolver
