#include "services/resolver/domain/composer.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <numeric>
#include <unordered_map>
#include <utility>

namespace mpli::resolver {

double distance_value(double distance_km) {
  return distance_km < 0 ? 0.0 : 1.0 / (1.0 + distance_km / 500.0);
}

namespace {

constexpr uint32_t kNone = std::numeric_limits<uint32_t>::max();
constexpr double kInfinity = std::numeric_limits<double>::infinity();

// Budgets and the cheapest-price bound compare sums of costs that the search adds up in its own
// order: a relative 1e-9 keeps a budget met exactly (or a price tied exactly) from failing on
// rounding, whatever that order is.
constexpr double kRelativeTolerance = 1e-9;

// The score bound adds costs and distance values in search order, an answer's score in
// requirement order: the sums can differ in their last bits. The bound therefore takes its
// lowest price this much lower and its distance sum this much higher (far more than the
// rounding of thousands of non-negative terms). Every later step (division, weighting, adding)
// is monotone in floating point too, so the bound is never below the score an answer actually
// gets, and a bound equal to the K-th score is a true tie, which price can then decide.
constexpr double kSumSlack = 1e-12;

bool exceeds(double value, double limit) {
  return value > limit + kRelativeTolerance * std::max(1.0, std::abs(limit));
}

double price_value(double cheapest, double price) { return price == 0 ? 1.0 : cheapest / price; }

// Negative weights are treated as 0: the score bound relies on every part counting upwards.
double weighted_score(const PreferenceWeights& w, double price, double distance, double provider) {
  const double cheapest = std::max(0.0, w.cheapest);
  const double closest = std::max(0.0, w.closest);
  const double providers = std::max(0.0, w.providers);
  const double total = cheapest + closest + providers;
  if (total <= 0) return price;
  return (cheapest * price + closest * distance + providers * provider) / total;
}

// A cross constraint in search terms: which depths it covers, and for budgets the cheapest cost
// its not yet assigned requirements can still add.
struct Constraint {
  CrossConstraint::Kind kind = CrossConstraint::Kind::kSameCountry;
  uint32_t max_providers = 0;
  double max_price = 0;
  std::vector<size_t> depths;    // search depths of its requirements, ascending
  std::vector<double> min_rest;  // [d]: sum of the cheapest costs of its requirements at >= d
};

// A run of one requirement's placement indexes, cheapest first (ties in input order), with what
// the bounds need to know about all of them at once.
struct Run {
  const uint32_t* first = nullptr;
  const uint32_t* last = nullptr;
  double min_cost = kInfinity;            // the first placement's cost
  double min_preferred_cost = kInfinity;  // the cheapest preferred placement's; kInfinity: none
  double best_distance = 0;               // the best distance value among them

  const uint32_t* begin() const { return first; }
  const uint32_t* end() const { return last; }
  size_t size() const { return size_t(last - first); }
};

Run make_run(const std::vector<Placement>& placements, const uint32_t* first,
             const uint32_t* last) {
  Run run;
  run.first = first;
  run.last = last;
  if (first == last) return run;
  run.min_cost = placements[*first].cost;
  for (const uint32_t* i = first; i != last; ++i) {
    const Placement& p = placements[*i];
    if (p.preferred_provider) run.min_preferred_cost = std::min(run.min_preferred_cost, p.cost);
    run.best_distance = std::max(run.best_distance, distance_value(p.distance_km));
  }
  return run;
}

// Runs of one requirement's placements that share a key (a country, a provider, or both),
// each cheapest first: once a constraint fixes the key, only that run can hold a placement
// that keeps it, so the search iterates the run, not the whole list.
struct Buckets {
  std::vector<uint32_t> storage;  // the placement indexes, grouped by key
  // Small keys (providers and countries are dense ids) index `dense`, where a run that holds
  // nothing (first == nullptr) is no group; other keys (provider and country pairs) `runs`.
  // Thousands of providers made a map node each.
  std::vector<Run> dense;
  std::unordered_map<uint64_t, Run> runs;

  const Run* find(uint64_t key) const {
    if (!dense.empty()) {
      return key < dense.size() && dense[key].first != nullptr ? &dense[key] : nullptr;
    }
    auto it = runs.find(key);
    return it == runs.end() ? nullptr : &it->second;
  }
};

uint64_t pair_key(uint32_t provider, uint32_t country) {
  return (uint64_t(provider) << 32) | country;
}

// Groups `by_cost` by key, keeping cost order within each key (a stable counting sort: one hash
// look-up per placement, cheaper than sorting when keys are few or many). Placements without a
// country are left out of country keyed buckets (an unknown country never satisfies
// SameCountry).
template <typename Key>
void fill_buckets(const std::vector<Placement>& placements, const std::vector<uint32_t>& by_cost,
                  bool needs_country, Key key, Buckets* out) {
  // Keys no larger than a few times the placements are dense ids: groups by a vector.
  uint64_t max_key = 0;
  for (const Placement& p : placements) {
    if (!(needs_country && p.country == kNoCountry)) max_key = std::max<uint64_t>(max_key, key(p));
  }
  const bool dense = max_key < 4 * uint64_t(placements.size()) + 64;
  std::vector<uint32_t> dense_group_of(dense ? max_key + 1 : 0, kNone);
  std::unordered_map<uint64_t, uint32_t> group_of;      // key -> group, numbered as first seen
  std::vector<uint64_t> keys;                           // [group]
  std::vector<uint32_t> group_start;                    // [group]: count, then first position
  std::vector<uint32_t> groups(by_cost.size(), kNone);  // [rank in by_cost]
  for (size_t rank = 0; rank < by_cost.size(); ++rank) {
    const Placement& p = placements[by_cost[rank]];
    if (needs_country && p.country == kNoCountry) continue;
    const uint64_t k = key(p);
    uint32_t group = kNone;
    if (dense) {
      group = dense_group_of[k];
      if (group == kNone) group = dense_group_of[k] = uint32_t(keys.size());
    } else {
      group = group_of.emplace(k, uint32_t(keys.size())).first->second;
    }
    if (group == keys.size()) {
      keys.push_back(k);
      group_start.push_back(0);
    }
    groups[rank] = group;
    ++group_start[group];
  }
  uint32_t total = 0;
  for (uint32_t& start : group_start) total += std::exchange(start, total);
  out->storage.resize(total);
  std::vector<uint32_t> next = group_start;
  for (size_t rank = 0; rank < by_cost.size(); ++rank) {
    if (groups[rank] != kNone) out->storage[next[groups[rank]]++] = by_cost[rank];
  }
  const uint32_t* base = out->storage.data();
  if (dense) {
    out->dense.assign(max_key + 1, Run{});
    for (size_t g = 0; g < keys.size(); ++g) {
      out->dense[keys[g]] = make_run(placements, base + group_start[g], base + next[g]);
    }
    return;
  }
  out->runs.reserve(keys.size());
  for (size_t g = 0; g < keys.size(); ++g) {
    out->runs.emplace(keys[g], make_run(placements, base + group_start[g], base + next[g]));
  }
}

// One requirement's placements, organised for the search.
struct RequirementIndex {
  std::vector<uint32_t> by_cost;  // every placement index, cheapest first
  Run all;
  Buckets by_country;   // key: country
  Buckets by_provider;  // key: provider
  Buckets by_pair;      // key: pair_key(provider, country)
};

// The request reorganised for the search. Requirements with the fewest placements go first (a
// wrong early choice is cut with the least work), placements by cost (cheap answers come first
// and a bound that only grows with cost can stop a loop at the first placement over it).
// Built in place and never copied: runs point into the indexes' storage.
struct Plan {
  explicit Plan(const CompositionRequest& request);
  Plan(const Plan&) = delete;
  Plan& operator=(const Plan&) = delete;

  const CompositionRequest* request = nullptr;
  size_t size = 0;
  std::vector<uint32_t> order;                // [depth]: requirement
  std::vector<RequirementIndex> indexes;      // [requirement]
  std::vector<Constraint> constraints;        // same indexes as request->constraints
  std::vector<std::vector<uint32_t>> checks;  // [depth]: constraints covering that requirement
  std::vector<uint32_t> budgets;              // the kMonthlyBudget constraints
  std::vector<double> min_rest;               // [d]: cheapest total of the requirements at >= d
  // The SameCountry / SameProvider constraints a depth must follow from an earlier one.
  struct Binding {
    uint32_t constraint;
    size_t earlier_depth;  // a depth of the constraint's before this one
  };
  std::vector<std::vector<Binding>> bindings;  // [depth]

  const Placement& placement(size_t depth, uint32_t index) const {
    return request->placements[order[depth]][index];
  }
  const RequirementIndex& at(size_t depth) const { return indexes[order[depth]]; }
};

std::vector<uint32_t> search_order(const CompositionRequest& request) {
  std::vector<uint32_t> order(request.placements.size());
  std::iota(order.begin(), order.end(), 0u);
  std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    return request.placements[a].size() < request.placements[b].size();
  });
  return order;
}

// A double's bits as an unsigned key in the same order: the sign bit flipped for a positive
// number, every bit for a negative one (-0 taken as 0, which compares equal to it).
uint64_t cost_key(double cost) {
  if (cost == 0) cost = 0;  // -0 to +0
  uint64_t bits = 0;
  std::memcpy(&bits, &cost, sizeof bits);
  return (bits >> 63) != 0 ? ~bits : bits | (uint64_t{1} << 63);
}

// By cost, equal costs in input order (as a stable sort would). A least-significant-digit
// radix sort of (key, index) pairs, a byte at a time, skipping the bytes every key shares: tens
// of thousands of placements take a few passes where a comparison sort takes many more.
std::vector<uint32_t> placements_by_cost(const std::vector<Placement>& placements) {
  const size_t n = placements.size();
  std::vector<std::pair<uint64_t, uint32_t>> keyed(n);
  std::vector<std::pair<uint64_t, uint32_t>> scratch(n);
  std::array<std::array<uint32_t, 256>, 8> counts{};
  for (uint32_t i = 0; i < n; ++i) {
    keyed[i] = {cost_key(placements[i].cost), i};
    for (size_t digit = 0; digit < 8; ++digit)
      ++counts[digit][(keyed[i].first >> (8 * digit)) & 0xff];
  }
  for (size_t digit = 0; digit < 8; ++digit) {
    auto& count = counts[digit];
    // A byte every key shares leaves the order as it is.
    if (n == 0 || count[(keyed[0].first >> (8 * digit)) & 0xff] == n) continue;
    uint32_t total = 0;
    for (uint32_t& c : count) total += std::exchange(c, total);
    for (const auto& entry : keyed) scratch[count[(entry.first >> (8 * digit)) & 0xff]++] = entry;
    keyed.swap(scratch);
  }
  std::vector<uint32_t> sorted(n);
  for (size_t i = 0; i < n; ++i) sorted[i] = keyed[i].second;
  return sorted;
}

// Indexes outside the request are ignored; an empty applies_to covers every requirement.
Constraint plan_constraint(const CrossConstraint& in, const std::vector<size_t>& depth_of,
                           const std::vector<double>& min_cost_at) {
  Constraint out;
  out.kind = in.kind;
  out.max_providers = in.max_providers;
  out.max_price = in.max_monthly_price;
  if (in.applies_to.empty()) {
    out.depths.resize(depth_of.size());
    std::iota(out.depths.begin(), out.depths.end(), size_t{0});
  }
  for (uint32_t requirement : in.applies_to) {
    if (requirement < depth_of.size()) out.depths.push_back(depth_of[requirement]);
  }
  std::sort(out.depths.begin(), out.depths.end());
  out.depths.erase(std::unique(out.depths.begin(), out.depths.end()), out.depths.end());
  out.min_rest.assign(depth_of.size() + 1, 0.0);
  for (size_t d = depth_of.size(); d-- > 0;) {
    const bool member = std::binary_search(out.depths.begin(), out.depths.end(), d);
    out.min_rest[d] = out.min_rest[d + 1] + (member ? min_cost_at[d] : 0.0);
  }
  return out;
}

// Requires every requirement to have at least one placement.
Plan::Plan(const CompositionRequest& in) : request(&in), size(in.placements.size()) {
  order = search_order(in);
  indexes.resize(size);
  // Each requirement's index is its own: built side by side.
  auto each_requirement = [&](const std::function<void(size_t)>& task) {
    if (in.workers == nullptr) {
      for (size_t r = 0; r < size; ++r) task(r);
    } else {
      in.workers->run(size, task);
    }
  };
  each_requirement([&](size_t r) {
    RequirementIndex& ix = indexes[r];
    ix.by_cost = placements_by_cost(in.placements[r]);
    ix.all = make_run(in.placements[r], ix.by_cost.data(), ix.by_cost.data() + ix.by_cost.size());
  });
  // Cheapest costs from each depth on, for the constraint checks and the plain search.
  std::vector<double> min_cost_at(size);
  min_rest.assign(size + 1, 0.0);
  for (size_t d = size; d-- > 0;) {
    min_cost_at[d] = at(d).all.min_cost;
    min_rest[d] = min_rest[d + 1] + min_cost_at[d];
  }
  std::vector<size_t> depth_of(size);
  for (size_t d = 0; d < size; ++d) depth_of[order[d]] = d;
  checks.resize(size);
  bindings.resize(size);
  // Which keys a depth's placements can be restricted to, so that only those buckets are built:
  // a country when a SameCountry constraint has an earlier depth; a set of providers when a
  // SameProvider constraint has an earlier depth, or when enough earlier depths of a
  // MaxProviders constraint can use up its providers.
  std::vector<bool> country_bound(size, false);
  std::vector<bool> provider_bound(size, false);
  for (size_t c = 0; c < in.constraints.size(); ++c) {
    constraints.push_back(plan_constraint(in.constraints[c], depth_of, min_cost_at));
    const Constraint& constraint = constraints.back();
    for (size_t d : constraint.depths) checks[d].push_back(uint32_t(c));
    for (size_t i = 1; i < constraint.depths.size(); ++i) {
      const size_t d = constraint.depths[i];
      switch (constraint.kind) {
        case CrossConstraint::Kind::kSameCountry:
          country_bound[d] = true;
          bindings[d].push_back({uint32_t(c), constraint.depths.front()});
          break;
        case CrossConstraint::Kind::kSameProvider:
          provider_bound[d] = true;
          bindings[d].push_back({uint32_t(c), constraint.depths.front()});
          break;
        case CrossConstraint::Kind::kMaxProviders:
          if (constraint.max_providers > 0 && i >= constraint.max_providers) {
            provider_bound[d] = true;
          }
          break;
        case CrossConstraint::Kind::kMonthlyBudget:
          break;
      }
    }
    if (constraint.kind == CrossConstraint::Kind::kMonthlyBudget) budgets.push_back(uint32_t(c));
  }
  each_requirement([&](size_t r) {
    const size_t d = depth_of[r];
    const auto& placements = in.placements[r];
    RequirementIndex& ix = indexes[r];
    if (country_bound[d]) {
      fill_buckets(
          placements, ix.by_cost, true, [](const Placement& p) { return p.country; },
          &ix.by_country);
    }
    if (provider_bound[d]) {
      fill_buckets(
          placements, ix.by_cost, false, [](const Placement& p) { return p.provider; },
          &ix.by_provider);
    }
    if (country_bound[d] && provider_bound[d]) {
      fill_buckets(
          placements, ix.by_cost, true,
          [](const Placement& p) { return pair_key(p.provider, p.country); }, &ix.by_pair);
    }
  });
}

// Scores, ties broken by price then tie keys, then (for duplicate tie keys) choice indexes.
bool ranks_before(const CompositionRequest& request, const ComposedAnswer& a,
                  const ComposedAnswer& b) {
  if (a.score != b.score) return a.score > b.score;
  if (a.price != b.price) return a.price < b.price;
  for (size_t r = 0; r < a.choice.size(); ++r) {
    const Placement& pa = request.placements[r][a.choice[r]];
    const Placement& pb = request.placements[r][b.choice[r]];
    if (pa.tie_key != pb.tie_key) return pa.tie_key < pb.tie_key;
    if (pa.tie_subkey != pb.tie_subkey) return pa.tie_subkey < pb.tie_subkey;
  }
  return a.choice < b.choice;
}

// All sums run in requirement order, so an answer's numbers do not depend on the search order.
ComposedAnswer score_answer(const CompositionRequest& request, std::vector<uint32_t> choice,
                            double cheapest) {
  ComposedAnswer answer;
  answer.choice = std::move(choice);
  double distance = 0;
  double preferred = 0;
  for (size_t r = 0; r < answer.choice.size(); ++r) {
    const Placement& p = request.placements[r][answer.choice[r]];
    answer.price += p.cost;
    distance += distance_value(p.distance_km);
    preferred += p.preferred_provider ? 1 : 0;
  }
  const double n = answer.choice.empty() ? 1.0 : double(answer.choice.size());
  answer.price_value = price_value(cheapest, answer.price);
  answer.distance_value = distance / n;
  answer.provider_value = preferred / n;
  answer.score = weighted_score(request.weights, answer.price_value, answer.distance_value,
                                answer.provider_value);
  return answer;
}

// What the requirement at one depth can still take, given the choices at the depths before
// some limit: the runs to draw from (none: no placement keeps the constraints) and the best
// any of them offers.
struct Reach {
  std::vector<const Run*> runs;
  double min_cost = kInfinity;
  double min_preferred_cost = kInfinity;
  double best_distance = 0;
};

// The most the requirements from some depth on can still add, given their reaches.
struct Rest {
  // [j]: the cheapest total of those requirements when j of them are counted as placed at a
  // preferred provider (each counted one at its cheapest preferred placement); kInfinity when
  // fewer than j can be. An answer with j preferred placements among them costs at least [j].
  std::vector<double> cost_with_preferred;
  double best_distance = 0;          // best distance values, summed
  std::vector<double> budget_floor;  // [constraint]: kMonthlyBudget: cheapest costs of its
                                     // requirements among them, summed
};

// One depth-first search over the plan, with one constraint optionally left out (diagnosis).
// Both passes run on the same object so that they share the node limit.
//
// Two modes. The pruned mode finds the answers: each depth draws only from the placements the
// earlier choices leave it (one country, one provider, the providers MaxProviders has left), and
// a branch is cut as soon as the requirements after it, each at its best placement within what
// it can still take, cannot keep a budget, reach the cheapest price or enter the top K. The
// plain mode is the search as it was before that pruning (buckets only for a bound SameCountry
// or SameProvider, every later requirement at its cheapest overall) and runs pass 1 only:
// compose() uses it when the pruned search found no answer, and the diagnosis re-runs it
// without each constraint in turn. How often each constraint cut a branch in it ranks the
// blocking constraints, so the diagnosis does not change with the pruning.
class Search {
 public:
  enum class Mode { kPruned, kPlain };

  Search(const Plan& plan, uint64_t node_limit, Mode mode, uint32_t skipped = kNone)
      : plan_(plan),
        node_limit_(node_limit),
        mode_(mode),
        skipped_(skipped),
        chosen_(plan.size),
        prunes_(plan.constraints.size(), 0) {
    if (mode_ == Mode::kPruned) {
      reach_.assign(plan.size + 1, std::vector<Reach>(plan.size));
      rest_.resize(plan.size);
      for (Rest& rest : rest_) rest.budget_floor.assign(plan.constraints.size(), 0.0);
      next_rest_.budget_floor.assign(plan.constraints.size(), 0.0);
    }
  }

  // Pass 1: the cheapest feasible price, < 0 when none was found.
  double find_cheapest() {
    goal_ = Goal::kCheapest;
    start();
    return cheapest_;
  }

  // Pass 2: the best `k` (> 0) answers, best first, price values relative to `cheapest`.
  std::vector<ComposedAnswer> find_top(double cheapest, size_t k) {
    goal_ = Goal::kTop;
    cheapest_ = cheapest;
    k_ = k;
    start();
    const auto better = [this](const ComposedAnswer& a, const ComposedAnswer& b) {
      return ranks_before(*plan_.request, a, b);
    };
    std::sort_heap(top_.begin(), top_.end(), better);
    return std::move(top_);
  }

  const std::vector<uint32_t>& cheapest_choice() const { return cheapest_choice_; }
  const std::vector<uint64_t>& prunes() const { return prunes_; }
  uint64_t nodes() const { return nodes_; }
  uint64_t feasible() const { return feasible_; }
  bool exhausted() const { return exhausted_; }

 private:
  enum class Goal { kCheapest, kTop };

  void start() {
    if (mode_ == Mode::kPruned && !fill_reach(0)) return;
    descend(0, 0, 0, 0);
  }

  // ---- Plain mode ----

  // The placements worth trying at `depth`: all of them by cost, or the bucket a bound
  // SameCountry / SameProvider constraint leaves (the smallest such bucket). The placements a
  // binding leaves out count as cuts by its constraint, as the placement-by-placement check
  // would have counted them: two constraints that block only together (no provider in common)
  // are then still named in the diagnosis.
  Run plain_candidates(size_t depth) {
    const RequirementIndex& ix = plan_.at(depth);
    const Run* best = &ix.all;
    for (const Plan::Binding& binding : plan_.bindings[depth]) {
      if (binding.constraint == skipped_) continue;
      const Placement& bound = chosen(binding.earlier_depth);
      const bool same_country =
          plan_.constraints[binding.constraint].kind == CrossConstraint::Kind::kSameCountry;
      const Run* bucket = nullptr;
      if (!same_country || bound.country != kNoCountry) {  // an unknown country never holds
        bucket =
            same_country ? ix.by_country.find(bound.country) : ix.by_provider.find(bound.provider);
      }
      const size_t kept = bucket == nullptr ? 0 : bucket->size();
      prunes_[binding.constraint] += ix.all.size() - kept;
      if (bucket == nullptr) return Run{};
      if (bucket->size() < best->size()) best = bucket;
    }
    return *best;
  }

  bool cannot_be_cheapest(size_t next_depth, double cost) const {
    return cheapest_ >= 0 && exceeds(cost + plan_.min_rest[next_depth], cheapest_);
  }

  // ---- Both modes ----

  // The partial sums along the current path: costs, distance values, preferred placements.
  void descend(size_t depth, double cost, double distance, uint32_t preferred) {
    if (depth == plan_.size) return reach_leaf();
    if (mode_ == Mode::kPlain) {
      try_run(depth, plain_candidates(depth), cost, distance, preferred);
      return;
    }
    // reach_[depth] was filled by the caller (or start()); deeper levels only rewrite later rows.
    summarise(depth, depth + 1, &rest_[depth]);
    for (const Run* run : reach_[depth][depth].runs) {
      try_run(depth, *run, cost, distance, preferred);
      if (exhausted_) return;
    }
  }

  void try_run(size_t depth, const Run& run, double cost, double distance, uint32_t preferred) {
    for (uint32_t index : run) {
      if (nodes_ >= node_limit_) {
        exhausted_ = true;
        return;
      }
      ++nodes_;
      const Placement& p = plan_.placement(depth, index);
      // Placements come by cost and this bound only grows with cost: once it fails, every
      // later placement of the run fails too.
      if (mode_ == Mode::kPruned && beyond_run(depth, run, p, cost, distance, preferred)) break;
      const uint32_t broken = first_broken(depth, p);
      if (broken != kNone) {
        ++prunes_[broken];
        // Placements come by cost: one over budget means every later one is too.
        if (plan_.constraints[broken].kind == CrossConstraint::Kind::kMonthlyBudget) break;
        continue;
      }
      const double next_cost = cost + p.cost;
      const double next_distance = distance + distance_value(p.distance_km);
      const uint32_t next_preferred = preferred + (p.preferred_provider ? 1 : 0);
      chosen_[depth] = index;
      if (mode_ == Mode::kPruned) {
        if (!fill_reach(depth + 1)) continue;  // a later requirement has nothing left
        summarise(depth + 1, depth + 1, &next_rest_);
        if (hopeless(depth + 1, next_rest_, next_cost, next_distance, next_preferred)) continue;
      } else {
        // The plain search only looks for the cheapest price (see Mode).
        if (cannot_be_cheapest(depth + 1, next_cost)) break;
      }
      descend(depth + 1, next_cost, next_distance, next_preferred);
      if (exhausted_) return;
    }
  }

  // ---- Pruned mode ----

  // Fills reach_[limit][d] for every depth d >= limit from the choices at the depths before
  // `limit`; false when some depth has nothing left. Every placement a feasible completion can
  // use is in its depth's reach: the reach only leaves out placements that break a SameCountry,
  // SameProvider or MaxProviders constraint together with the choices already made.
  bool fill_reach(size_t limit) {
    for (size_t d = limit; d < plan_.size; ++d) {
      if (!fill_reach(limit, d, &reach_[limit][d])) return false;
    }
    return true;
  }

  bool fill_reach(size_t limit, size_t depth, Reach* out) {
    out->runs.clear();
    uint32_t country = kNoCountry;
    // Providers: unrestricted until a constraint restricts them; then the intersection.
    bool providers_bound = false;
    providers_.clear();
    for (uint32_t c : plan_.checks[depth]) {
      const Constraint& constraint = plan_.constraints[c];
      const size_t anchor = constraint.depths.front();
      if (c == skipped_ || anchor >= limit) continue;  // nothing chosen yet that it ties to
      switch (constraint.kind) {
        case CrossConstraint::Kind::kSameCountry: {
          const uint32_t bound = chosen(anchor).country;
          if (bound == kNoCountry || (country != kNoCountry && country != bound)) return false;
          country = bound;
          break;
        }
        case CrossConstraint::Kind::kSameProvider:
          restrict_providers(&providers_bound, [&](auto&& add) { add(chosen(anchor).provider); });
          break;
        case CrossConstraint::Kind::kMaxProviders: {
          // Once the earlier depths use max_providers providers, the rest must reuse them.
          used_.clear();
          for (size_t d : constraint.depths) {
            if (d >= limit) break;
            const uint32_t provider = chosen(d).provider;
            if (std::find(used_.begin(), used_.end(), provider) == used_.end()) {
              used_.push_back(provider);
            }
          }
          if (used_.size() < constraint.max_providers) break;
          restrict_providers(&providers_bound, [&](auto&& add) {
            for (uint32_t provider : used_) add(provider);
          });
          break;
        }
        case CrossConstraint::Kind::kMonthlyBudget:
          break;
      }
    }
    const RequirementIndex& ix = plan_.at(depth);
    if (providers_bound) {
      for (uint32_t provider : providers_) {
        const Run* run = country == kNoCountry ? ix.by_provider.find(provider)
                                               : ix.by_pair.find(pair_key(provider, country));
        if (run != nullptr) out->runs.push_back(run);
      }
    } else if (country != kNoCountry) {
      if (const Run* run = ix.by_country.find(country)) out->runs.push_back(run);
    } else {
      out->runs.push_back(&ix.all);
    }
    out->min_cost = kInfinity;
    out->min_preferred_cost = kInfinity;
    out->best_distance = 0;
    for (const Run* run : out->runs) {
      out->min_cost = std::min(out->min_cost, run->min_cost);
      out->min_preferred_cost = std::min(out->min_preferred_cost, run->min_preferred_cost);
      out->best_distance = std::max(out->best_distance, run->best_distance);
    }
    return !out->runs.empty();
  }

  // Narrows providers_ to the providers `each` adds (all of them when not yet bound).
  template <typename Each>
  void restrict_providers(bool* bound, Each each) {
    if (!*bound) {
      each([&](uint32_t provider) { providers_.push_back(provider); });
      *bound = true;
      return;
    }
    scratch_.clear();
    each([&](uint32_t provider) {
      if (std::find(providers_.begin(), providers_.end(), provider) != providers_.end()) {
        scratch_.push_back(provider);
      }
    });
    providers_.swap(scratch_);
  }

  // The best the depths from `from` on can add, each within reach_[limit].
  void summarise(size_t limit, size_t from, Rest* out) const {
    const std::vector<Reach>& reach = reach_[limit];
    const bool count_preferred = plan_.request->weights.providers > 0;
    out->cost_with_preferred.assign(1, 0.0);
    out->best_distance = 0;
    for (size_t d = from; d < plan_.size; ++d) {
      const Reach& r = reach[d];
      out->best_distance += r.best_distance;
      std::vector<double>& costs = out->cost_with_preferred;
      if (count_preferred) costs.push_back(kInfinity);
      for (size_t j = costs.size(); j-- > 0;) {
        double via_preferred = kInfinity;  // j preferred with this requirement one of them
        if (j > 0) via_preferred = costs[j - 1] + r.min_preferred_cost;
        costs[j] = std::min(costs[j] + r.min_cost, via_preferred);
      }
    }
    for (uint32_t c : plan_.budgets) {
      double floor = 0;
      for (size_t d : plan_.constraints[c].depths) {
        if (d >= from) floor += reach[d].min_cost;
      }
      out->budget_floor[c] = floor;
    }
  }

  // Whether every placement of `run` from `p` on is cut: each costs at least p.cost, none
  // has a better distance than the run's best or is preferred when none of the run is, and the
  // later depths are bounded by what the choices before `depth` leave them.
  bool beyond_run(size_t depth, const Run& run, const Placement& p, double cost, double distance,
                  uint32_t preferred) const {
    for (uint32_t c : plan_.budgets) {
      if (c == skipped_) continue;
      const Constraint& budget = plan_.constraints[c];
      const bool member = std::binary_search(budget.depths.begin(), budget.depths.end(), depth);
      const double floor = spent(budget, depth) + (member ? p.cost : 0.0);
      if (exceeds(floor + rest_[depth].budget_floor[c], budget.max_price)) return true;
    }
    const bool may_prefer = run.min_preferred_cost < kInfinity;
    return cut_by_goal(rest_[depth], cost + p.cost, distance + run.best_distance,
                       preferred + (may_prefer ? 1 : 0));
  }

  // Whether no completion of the current path (chosen up to `next_depth`) can be kept: the
  // later depths within their reach, `rest` summarising them.
  bool hopeless(size_t next_depth, const Rest& rest, double cost, double distance,
                uint32_t preferred) const {
    for (uint32_t c : plan_.budgets) {
      if (c == skipped_) continue;
      const Constraint& budget = plan_.constraints[c];
      if (exceeds(spent(budget, next_depth) + rest.budget_floor[c], budget.max_price)) {
        return true;
      }
    }
    return cut_by_goal(rest, cost, distance, preferred);
  }

  // Pass 1: the cheapest completion already costs more than the cheapest answer found (equal
  // prices are still explored, within tolerance, so that the exact minimum summed in
  // requirement order is found). Pass 2: no completion can rank before the K-th answer kept.
  // The score only grows with price value, distance and preferred share, so for each count j
  // of preferred placements among the rest, the cheapest total with j of them and every rest
  // depth at its best distance give a score no completion with j exceeds (see kSumSlack);
  // where that bound only ties the K-th score, a completion ranks after it if it costs more.
  bool cut_by_goal(const Rest& rest, double cost, double distance, uint32_t preferred) const {
    if (goal_ == Goal::kCheapest) {
      return cheapest_ >= 0 && exceeds(cost + rest.cost_with_preferred[0], cheapest_);
    }
    if (top_.size() < k_) return false;
    const ComposedAnswer& kth = top_.front();
    const double n = double(plan_.size);
    const double distance_bound = (distance + rest.best_distance) * (1 + kSumSlack) / n;
    for (size_t j = 0; j < rest.cost_with_preferred.size(); ++j) {
      const double lowest_price = (cost + rest.cost_with_preferred[j]) * (1 - kSumSlack);
      if (lowest_price == kInfinity) continue;  // fewer than j can be preferred
      const double bound = weighted_score(plan_.request->weights,
                                          std::min(1.0, price_value(cheapest_, lowest_price)),
                                          distance_bound, double(preferred + j) / n);
      if (bound > kth.score || (bound == kth.score && !(lowest_price > kth.price))) return false;
    }
    return true;
  }

  // ---- Leaves and constraint checks ----

  void reach_leaf() {
    std::vector<uint32_t> choice(plan_.size);
    for (size_t d = 0; d < plan_.size; ++d) choice[plan_.order[d]] = chosen_[d];
    if (goal_ == Goal::kCheapest) return keep_if_cheaper(std::move(choice));
    ++feasible_;
    const auto better = [this](const ComposedAnswer& a, const ComposedAnswer& b) {
      return ranks_before(*plan_.request, a, b);
    };
    // A heap with the worst kept answer on top: it is the one to beat.
    top_.push_back(score_answer(*plan_.request, std::move(choice), cheapest_));
    std::push_heap(top_.begin(), top_.end(), better);
    if (top_.size() > k_) {
      std::pop_heap(top_.begin(), top_.end(), better);
      top_.pop_back();
    }
  }

  void keep_if_cheaper(std::vector<uint32_t> choice) {
    double price = 0;
    for (size_t r = 0; r < choice.size(); ++r)
      price += plan_.request->placements[r][choice[r]].cost;
    if (cheapest_ < 0 || price < cheapest_) {
      cheapest_ = price;
      cheapest_choice_ = std::move(choice);
    }
  }

  // The first constraint (by index) that placing `p` at `depth` already breaks, or kNone.
  uint32_t first_broken(size_t depth, const Placement& p) const {
    for (uint32_t c : plan_.checks[depth]) {
      if (c != skipped_ && breaks(plan_.constraints[c], depth, p)) return c;
    }
    return kNone;
  }

  bool breaks(const Constraint& c, size_t depth, const Placement& p) const {
    // The first requirement of a constraint in search order is the one all others must match.
    const size_t anchor = c.depths.front();
    switch (c.kind) {
      case CrossConstraint::Kind::kSameCountry:
        return p.country == kNoCountry || (anchor < depth && chosen(anchor).country != p.country);
      case CrossConstraint::Kind::kSameProvider:
        return anchor < depth && chosen(anchor).provider != p.provider;
      case CrossConstraint::Kind::kMaxProviders:
        return distinct_providers(c, depth, p) > c.max_providers;
      case CrossConstraint::Kind::kMonthlyBudget:
        return exceeds(spent(c, depth) + p.cost + c.min_rest[depth + 1], c.max_price);
    }
    return false;
  }

  size_t distinct_providers(const Constraint& c, size_t depth, const Placement& p) const {
    std::vector<uint32_t> providers{p.provider};
    for (size_t d : c.depths) {
      if (d >= depth) break;
      const uint32_t provider = chosen(d).provider;
      if (std::find(providers.begin(), providers.end(), provider) == providers.end()) {
        providers.push_back(provider);
      }
    }
    return providers.size();
  }

  // Costs of the constraint's requirements at depths before `depth`.
  double spent(const Constraint& c, size_t depth) const {
    double sum = 0;
    for (size_t d : c.depths) {
      if (d >= depth) break;
      sum += chosen(d).cost;
    }
    return sum;
  }

  const Placement& chosen(size_t depth) const { return plan_.placement(depth, chosen_[depth]); }

  const Plan& plan_;
  uint64_t node_limit_;
  Mode mode_;
  uint32_t skipped_;
  Goal goal_ = Goal::kCheapest;
  std::vector<uint32_t> chosen_;  // [depth]: placement index of the requirement at that depth
  std::vector<uint64_t> prunes_;  // [constraint]: placements it ruled out
  uint64_t nodes_ = 0;
  uint64_t feasible_ = 0;
  bool exhausted_ = false;
  double cheapest_ = -1;
  std::vector<uint32_t> cheapest_choice_;
  size_t k_ = 0;
  std::vector<ComposedAnswer> top_;  // heap, worst on top
  // Pruned mode, rows reused along the path so that the search does not allocate.
  // reach_[limit][depth]: what depth (>= limit) can take given the choices before `limit`.
  // rest_[depth]: the depths after `depth`, given the choices before it (bounds a whole run).
  // next_rest_: the same given the choice at `depth` too (bounds one placement).
  std::vector<std::vector<Reach>> reach_;
  std::vector<Rest> rest_;
  Rest next_rest_;
  std::vector<uint32_t> providers_;
  std::vector<uint32_t> used_;
  std::vector<uint32_t> scratch_;
};

// Diagnosis of an infeasible request. First the constraints whose removal alone makes it
// feasible (each checked by a cheapest search without it), then the other constraints that cut
// branches in the failed search; each group by how many branches it cut, most first. The
// re-runs share one budget of `node_limit` nodes, not counted in the result's search_nodes;
// a re-run that runs out counts as "still infeasible".
std::vector<uint32_t> blocking_constraints(const Plan& plan, const std::vector<uint64_t>& prunes,
                                           uint64_t node_limit) {
  std::vector<uint32_t> alone;
  std::vector<uint32_t> others;
  uint64_t used = 0;
  for (uint32_t c = 0; c < plan.constraints.size(); ++c) {
    Search relaxed(plan, node_limit - used, Search::Mode::kPlain, c);
    const bool feasible_without = relaxed.find_cheapest() >= 0;
    used += relaxed.nodes();
    if (feasible_without) {
      alone.push_back(c);
    } else if (prunes[c] > 0) {
      others.push_back(c);
    }
  }
  const auto most_cuts_first = [&](uint32_t a, uint32_t b) { return prunes[a] > prunes[b]; };
  std::stable_sort(alone.begin(), alone.end(), most_cuts_first);
  std::stable_sort(others.begin(), others.end(), most_cuts_first);
  alone.insert(alone.end(), others.begin(), others.end());
  return alone;
}

}  // namespace

CompositionResult compose(const CompositionRequest& request) {
  CompositionResult result;
  for (const auto& placements : request.placements) {
    if (placements.empty()) return result;
  }
  const Plan plan(request);
  Search search(plan, request.max_search_nodes, Search::Mode::kPruned);
  result.cheapest_price = search.find_cheapest();
  const bool found = result.cheapest_price >= 0;
  if (!found && !search.exhausted()) {
    // No answer exists. The plain search reports it as before, with the cut counts that rank
    // the blocking constraints (it may run out of nodes where the pruned one did not; then it
    // says so, as it always did).
    Search plain(plan, request.max_search_nodes, Search::Mode::kPlain);
    plain.find_cheapest();
    if (!plain.exhausted()) {
      result.blocking_constraints =
          blocking_constraints(plan, plain.prunes(), request.max_search_nodes);
    }
    result.search_nodes = plain.nodes();
    result.search_exhausted = plain.exhausted();
    return result;
  }
  if (found && request.top_k > 0 && !search.exhausted()) {
    result.answers = search.find_top(result.cheapest_price, request.top_k);
  } else if (found && request.top_k > 0) {
    // The first pass used up the nodes: its cheapest answer is the best one known.
    result.answers.push_back(
        score_answer(request, search.cheapest_choice(), result.cheapest_price));
  }
  result.feasible = search.feasible();
  result.search_nodes = search.nodes();
  result.search_exhausted = search.exhausted();
  return result;
}

}  // namespace mpli::resolver
