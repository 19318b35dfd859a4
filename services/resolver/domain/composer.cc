#include "services/resolver/domain/composer.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <unordered_map>

namespace mpli::resolver {

double distance_value(double distance_km) {
  return distance_km < 0 ? 0.0 : 1.0 / (1.0 + distance_km / 500.0);
}

namespace {

constexpr uint32_t kNone = std::numeric_limits<uint32_t>::max();

// Budgets and the cheapest-price bound compare sums of costs that the search adds up in its own
// order: a relative 1e-9 keeps a budget met exactly (or a price tied exactly) from failing on
// rounding, whatever that order is.
constexpr double kRelativeTolerance = 1e-9;

// The score bound and the real score are computed along different paths; a branch is cut only
// when its bound is below the K-th score by more than rounding, so a completion that could tie
// (and then win on price or tie keys) is always explored.
constexpr double kScoreMargin = 1e-9;

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

// The request reorganised for the search. Requirements with the fewest placements go first (a
// wrong early choice is cut with the least work), placements by cost (cheap answers come first
// and budgets can stop a loop at the first placement over it).
struct Plan {
  const CompositionRequest* request = nullptr;
  size_t size = 0;
  std::vector<uint32_t> order;                 // [depth]: requirement
  std::vector<std::vector<uint32_t>> by_cost;  // [requirement]: placement indexes, cheapest first
  std::vector<Constraint> constraints;         // same indexes as request->constraints
  std::vector<std::vector<uint32_t>> checks;   // [depth]: constraints covering that requirement
  std::vector<double> min_rest;                // [d]: cheapest total of the requirements at >= d
  std::vector<double> best_distance_rest;      // [d]: best distance values of those, summed
  std::vector<uint32_t> preferable_rest;       // [d]: those with any preferred placement
  // The same placement indexes (cheapest first) per country and per provider: once a
  // SameCountry or SameProvider constraint is bound by an earlier depth, only that bucket can
  // hold a placement that keeps it, so the search iterates the bucket, not the whole list.
  std::vector<std::unordered_map<uint32_t, std::vector<uint32_t>>> by_country;   // [requirement]
  std::vector<std::unordered_map<uint32_t, std::vector<uint32_t>>> by_provider;  // [requirement]
  struct Binding {
    uint32_t constraint;
    size_t earlier_depth;  // a depth of the constraint's before this one
  };
  std::vector<std::vector<Binding>> bindings;  // [depth]

  const Placement& placement(size_t depth, uint32_t index) const {
    return request->placements[order[depth]][index];
  }
};

std::vector<uint32_t> search_order(const CompositionRequest& request) {
  std::vector<uint32_t> order(request.placements.size());
  std::iota(order.begin(), order.end(), 0u);
  std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    return request.placements[a].size() < request.placements[b].size();
  });
  return order;
}

std::vector<uint32_t> placements_by_cost(const std::vector<Placement>& placements) {
  std::vector<uint32_t> sorted(placements.size());
  std::iota(sorted.begin(), sorted.end(), 0u);
  std::stable_sort(sorted.begin(), sorted.end(),
                   [&](uint32_t a, uint32_t b) { return placements[a].cost < placements[b].cost; });
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

// Fills the per-depth suffix bounds and returns the cheapest cost at each depth.
std::vector<double> plan_rest_bounds(Plan& plan) {
  const size_t n = plan.size;
  std::vector<double> min_cost_at(n);
  plan.min_rest.assign(n + 1, 0.0);
  plan.best_distance_rest.assign(n + 1, 0.0);
  plan.preferable_rest.assign(n + 1, 0);
  for (size_t d = n; d-- > 0;) {
    const auto& placements = plan.request->placements[plan.order[d]];
    double best_distance = 0;
    bool preferable = false;
    for (const Placement& p : placements) {
      best_distance = std::max(best_distance, distance_value(p.distance_km));
      preferable = preferable || p.preferred_provider;
    }
    min_cost_at[d] = placements[plan.by_cost[plan.order[d]].front()].cost;
    plan.min_rest[d] = plan.min_rest[d + 1] + min_cost_at[d];
    plan.best_distance_rest[d] = plan.best_distance_rest[d + 1] + best_distance;
    plan.preferable_rest[d] = plan.preferable_rest[d + 1] + (preferable ? 1 : 0);
  }
  return min_cost_at;
}

// Requires every requirement to have at least one placement.
Plan make_plan(const CompositionRequest& request) {
  Plan plan;
  plan.request = &request;
  plan.size = request.placements.size();
  plan.order = search_order(request);
  for (const auto& placements : request.placements) {
    plan.by_cost.push_back(placements_by_cost(placements));
  }
  const std::vector<double> min_cost_at = plan_rest_bounds(plan);
  std::vector<size_t> depth_of(plan.size);
  for (size_t d = 0; d < plan.size; ++d) depth_of[plan.order[d]] = d;
  plan.checks.resize(plan.size);
  for (size_t c = 0; c < request.constraints.size(); ++c) {
    plan.constraints.push_back(plan_constraint(request.constraints[c], depth_of, min_cost_at));
    for (size_t d : plan.constraints.back().depths) plan.checks[d].push_back(uint32_t(c));
  }
  plan.bindings.resize(plan.size);
  for (size_t c = 0; c < plan.constraints.size(); ++c) {
    const Constraint& constraint = plan.constraints[c];
    if (constraint.kind != CrossConstraint::Kind::kSameCountry &&
        constraint.kind != CrossConstraint::Kind::kSameProvider) {
      continue;
    }
    for (size_t i = 1; i < constraint.depths.size(); ++i) {
      plan.bindings[constraint.depths[i]].push_back({uint32_t(c), constraint.depths.front()});
    }
  }
  // Buckets only where a binding will look them up.
  plan.by_country.resize(plan.size);
  plan.by_provider.resize(plan.size);
  for (size_t d = 0; d < plan.size; ++d) {
    const uint32_t requirement = plan.order[d];
    const auto& placements = request.placements[requirement];
    for (const Plan::Binding& binding : plan.bindings[d]) {
      const bool same_country =
          plan.constraints[binding.constraint].kind == CrossConstraint::Kind::kSameCountry;
      auto& buckets = same_country ? plan.by_country[requirement] : plan.by_provider[requirement];
      if (!buckets.empty()) continue;
      for (uint32_t index : plan.by_cost[requirement]) {
        const Placement& p = placements[index];
        if (same_country && p.country == kNoCountry) continue;
        buckets[same_country ? p.country : p.provider].push_back(index);
      }
    }
  }
  return plan;
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

// One depth-first search over the plan, with one constraint optionally left out (diagnosis).
// Both passes run on the same object so that they share the node limit.
class Search {
 public:
  Search(const Plan& plan, uint64_t node_limit, uint32_t skipped = kNone)
      : plan_(plan),
        node_limit_(node_limit),
        skipped_(skipped),
        chosen_(plan.size),
        prunes_(plan.constraints.size(), 0) {}

  // Pass 1: the cheapest feasible price, < 0 when none was found.
  double find_cheapest() {
    goal_ = Goal::kCheapest;
    descend(0, 0, 0, 0);
    return cheapest_;
  }

  // Pass 2: the best `k` (> 0) answers, best first, price values relative to `cheapest`.
  std::vector<ComposedAnswer> find_top(double cheapest, size_t k) {
    goal_ = Goal::kTop;
    cheapest_ = cheapest;
    k_ = k;
    descend(0, 0, 0, 0);
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

  // The partial sums along the current path: costs, distance values, preferred placements.
  // The placements worth trying at `depth`: all of them by cost, or the bucket a bound
  // SameCountry / SameProvider constraint leaves (the smallest such bucket).
  const std::vector<uint32_t>& candidates(size_t depth) const {
    static const std::vector<uint32_t> kNoPlacements;
    const uint32_t requirement = plan_.order[depth];
    const std::vector<uint32_t>* best = &plan_.by_cost[requirement];
    for (const Plan::Binding& binding : plan_.bindings[depth]) {
      if (binding.constraint == skipped_) continue;
      const Placement& bound =
          plan_.placement(binding.earlier_depth, chosen_[binding.earlier_depth]);
      const bool same_country =
          plan_.constraints[binding.constraint].kind == CrossConstraint::Kind::kSameCountry;
      if (same_country && bound.country == kNoCountry) return kNoPlacements;  // never holds
      const auto& buckets =
          same_country ? plan_.by_country[requirement] : plan_.by_provider[requirement];
      auto bucket = buckets.find(same_country ? bound.country : bound.provider);
      if (bucket == buckets.end()) return kNoPlacements;
      if (bucket->second.size() < best->size()) best = &bucket->second;
    }
    return *best;
  }

  void descend(size_t depth, double cost, double distance, uint32_t preferred) {
    if (depth == plan_.size) return reach_leaf();
    for (uint32_t index : candidates(depth)) {
      if (nodes_ >= node_limit_) {
        exhausted_ = true;
        return;
      }
      ++nodes_;
      const Placement& p = plan_.placement(depth, index);
      const uint32_t broken = first_broken(depth, p);
      if (broken != kNone) {
        ++prunes_[broken];
        // Placements come by cost: one over budget means every later one is too.
        if (plan_.constraints[broken].kind == CrossConstraint::Kind::kMonthlyBudget) break;
        continue;
      }
      const double next_cost = cost + p.cost;
      if (goal_ == Goal::kCheapest && cannot_be_cheapest(depth + 1, next_cost)) break;
      const double next_distance = distance + distance_value(p.distance_km);
      const uint32_t next_preferred = preferred + (p.preferred_provider ? 1 : 0);
      if (goal_ == Goal::kTop &&
          cannot_enter_top(depth + 1, next_cost, next_distance, next_preferred)) {
        continue;
      }
      chosen_[depth] = index;
      descend(depth + 1, next_cost, next_distance, next_preferred);
      if (exhausted_) return;
    }
  }

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

  // Equal prices are still explored (within tolerance) so that the exact minimum, summed in
  // requirement order, is found whatever order the search adds costs in.
  bool cannot_be_cheapest(size_t next_depth, double cost) const {
    return cheapest_ >= 0 && exceeds(cost + plan_.min_rest[next_depth], cheapest_);
  }

  bool cannot_enter_top(size_t next_depth, double cost, double distance, uint32_t preferred) const {
    if (top_.size() < k_) return false;
    const double n = double(plan_.size);
    const double lowest_price = cost + plan_.min_rest[next_depth];
    const double bound =
        weighted_score(plan_.request->weights, std::min(1.0, price_value(cheapest_, lowest_price)),
                       (distance + plan_.best_distance_rest[next_depth]) / n,
                       double(preferred + plan_.preferable_rest[next_depth]) / n);
    return bound < top_.front().score - kScoreMargin;
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
    Search relaxed(plan, node_limit - used, c);
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
  const Plan plan = make_plan(request);
  Search search(plan, request.max_search_nodes);
  result.cheapest_price = search.find_cheapest();
  const bool found = result.cheapest_price >= 0;
  if (found && request.top_k > 0 && !search.exhausted()) {
    result.answers = search.find_top(result.cheapest_price, request.top_k);
  } else if (found && request.top_k > 0) {
    // The first pass used up the nodes: its cheapest answer is the best one known.
    result.answers.push_back(
        score_answer(request, search.cheapest_choice(), result.cheapest_price));
  } else if (!found && !search.exhausted()) {
    result.blocking_constraints =
        blocking_constraints(plan, search.prunes(), request.max_search_nodes);
  }
  result.feasible = search.feasible();
  result.search_nodes = search.nodes();
  result.search_exhausted = search.exhausted();
  return result;
}

}  // namespace mpli::resolver
