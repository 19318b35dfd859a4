#include "services/resolver/domain/composer.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <deque>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace {

using mpli::resolver::compose;
using mpli::resolver::ComposedAnswer;
using mpli::resolver::CompositionRequest;
using mpli::resolver::CompositionResult;
using mpli::resolver::CrossConstraint;
using mpli::resolver::kNoCountry;
using mpli::resolver::Placement;
using Kind = CrossConstraint::Kind;
using Choice = std::vector<uint32_t>;

// Placements hold their tie keys as views: the keys made here live until the tests end.
std::string_view keep(std::string key) {
  static std::deque<std::string> keys;
  return keys.emplace_back(std::move(key));
}

Placement at(uint32_t provider, uint32_t country, double cost, std::string key, double km = -1,
             bool preferred = false) {
  Placement p;
  p.provider = provider;
  p.country = country;
  p.cost = cost;
  p.distance_km = km;
  p.preferred_provider = preferred;
  p.tie_key = keep(std::move(key));
  return p;
}

CrossConstraint constraint(Kind kind, std::vector<uint32_t> applies_to = {}) {
  CrossConstraint c;
  c.kind = kind;
  c.applies_to = std::move(applies_to);
  return c;
}

CrossConstraint max_providers(uint32_t max, std::vector<uint32_t> applies_to = {}) {
  CrossConstraint c = constraint(Kind::kMaxProviders, std::move(applies_to));
  c.max_providers = max;
  return c;
}

CrossConstraint budget(double max, std::vector<uint32_t> applies_to = {}) {
  CrossConstraint c = constraint(Kind::kMonthlyBudget, std::move(applies_to));
  c.max_monthly_price = max;
  return c;
}

std::vector<Choice> choices(const CompositionResult& result) {
  std::vector<Choice> out;
  for (const ComposedAnswer& a : result.answers) out.push_back(a.choice);
  return out;
}

bool near(double a, double b) { return std::abs(a - b) < 1e-12; }

// Two requirements; the cheapest placements are in different countries and at different
// providers, the dearer ones share country 7 and provider 3.
CompositionRequest two_regions() {
  CompositionRequest request;
  request.placements = {
      {at(1, 1, 10, "a-cheap"), at(3, 7, 30, "a-dear")},
      {at(2, 2, 5, "b-cheap"), at(3, 7, 20, "b-dear")},
  };
  return request;
}

}  // namespace

TEST_CASE("distance value halves at 500 km") {
  CHECK(mpli::resolver::distance_value(500) == 0.5);
  CHECK(mpli::resolver::distance_value(0) == 1.0);
  CHECK(mpli::resolver::distance_value(-1) == 0.0);
}

TEST_CASE("without constraints every requirement takes its cheapest placement") {
  CompositionResult result = compose(two_regions());
  REQUIRE(result.answers.size() == 4);
  CHECK(result.answers[0].choice == Choice{0, 0});
  CHECK(result.answers[0].price == 15);
  CHECK(result.answers[0].price_value == 1.0);
  CHECK(result.cheapest_price == 15);
  CHECK(result.feasible == 4);
  CHECK_FALSE(result.search_exhausted);
  CHECK(result.blocking_constraints.empty());
  // Ranked by price alone when no preference is stated.
  CHECK(choices(result) == std::vector<Choice>{{0, 0}, {0, 1}, {1, 0}, {1, 1}});
  CHECK(near(result.answers[3].score, 15.0 / 50.0));
}

TEST_CASE("a requirement without placements yields no answer and no diagnosis") {
  CompositionRequest request = two_regions();
  request.placements.push_back({});
  request.constraints = {budget(1)};
  CompositionResult result = compose(request);
  CHECK(result.answers.empty());
  CHECK(result.cheapest_price < 0);
  CHECK(result.blocking_constraints.empty());
  CHECK(result.search_nodes == 0);
}

TEST_CASE("same country keeps only answers within one country") {
  CompositionRequest request = two_regions();
  request.constraints = {constraint(Kind::kSameCountry)};
  CompositionResult result = compose(request);
  CHECK(choices(result) == std::vector<Choice>{{1, 1}});
  CHECK(result.cheapest_price == 50);
  CHECK(result.answers[0].price_value == 1.0);
}

TEST_CASE("an unknown country never satisfies same country") {
  CompositionRequest request;
  request.placements = {{at(1, kNoCountry, 1, "a")}, {at(1, kNoCountry, 1, "b")}};
  request.constraints = {constraint(Kind::kSameCountry)};
  CHECK(compose(request).answers.empty());
  // Even a constraint over a single requirement needs a known country.
  request.constraints = {constraint(Kind::kSameCountry, {1})};
  CompositionResult result = compose(request);
  CHECK(result.answers.empty());
  CHECK(result.blocking_constraints == std::vector<uint32_t>{0});
}

TEST_CASE("a constraint binds only the requirements it applies to") {
  CompositionRequest request = two_regions();
  request.placements.push_back({at(9, 9, 1, "c-only")});
  request.constraints = {constraint(Kind::kSameCountry, {0, 1})};
  CompositionResult result = compose(request);
  CHECK(choices(result) == std::vector<Choice>{{1, 1, 0}});

  // Over requirements 0 and 2, requirement 1 is free to take its cheapest placement.
  request.placements[2] = {at(9, 7, 1, "c-seven")};
  request.constraints = {constraint(Kind::kSameCountry, {0, 2})};
  result = compose(request);
  REQUIRE_FALSE(result.answers.empty());
  CHECK(result.answers[0].choice == Choice{1, 0, 0});
  CHECK(result.answers.size() == 2);
}

TEST_CASE("out of range requirement indexes in applies_to are ignored") {
  CompositionRequest request = two_regions();
  request.constraints = {constraint(Kind::kSameCountry, {0, 1, 99})};
  CHECK(choices(compose(request)) == std::vector<Choice>{{1, 1}});
}

TEST_CASE("same provider keeps only answers at one provider") {
  CompositionRequest request = two_regions();
  request.placements[0].push_back(at(2, 5, 40, "a-at-2"));
  request.constraints = {constraint(Kind::kSameProvider)};
  CompositionResult result = compose(request);
  // Provider 3 for 50, provider 2 for 45.
  CHECK(choices(result) == std::vector<Choice>{{2, 0}, {1, 1}});
  CHECK(result.cheapest_price == 45);
}

TEST_CASE("max providers limits distinct providers among its requirements") {
  CompositionRequest request;
  request.placements = {
      {at(1, 1, 1, "a1"), at(9, 1, 10, "a9")},
      {at(2, 1, 1, "b2"), at(9, 1, 10, "b9")},
      {at(3, 1, 1, "c3"), at(9, 1, 10, "c9")},
  };
  request.top_k = 100;
  request.constraints = {max_providers(1)};
  CHECK(choices(compose(request)) == std::vector<Choice>{{1, 1, 1}});

  request.constraints = {max_providers(2)};
  CompositionResult result = compose(request);
  // At most one requirement away from provider 9: {1, 1, 1} and three with one cheap choice.
  CHECK(result.answers.size() == 4);
  CHECK(result.answers[0].price == 21);
  CHECK(result.answers[0].choice == Choice{0, 1, 1});

  request.constraints = {max_providers(1, {0, 2})};
  CHECK(choices(compose(request)).front() == Choice{1, 0, 1});
}

TEST_CASE("monthly budget keeps answers within it, a budget met exactly included") {
  // Prices: {0, 0} 15, {0, 1} 30, {1, 0} 35, {1, 1} 50.
  CompositionRequest request = two_regions();
  request.constraints = {budget(30)};
  CompositionResult result = compose(request);
  CHECK(choices(result) == std::vector<Choice>{{0, 0}, {0, 1}});

  request.constraints = {budget(30, {0})};
  CHECK(choices(compose(request)) == std::vector<Choice>{{0, 0}, {0, 1}, {1, 0}, {1, 1}});
  request.constraints = {budget(29.99, {0})};
  CHECK(choices(compose(request)) == std::vector<Choice>{{0, 0}, {0, 1}});

  // 0.1 + 0.2 is not exactly 0.3 in binary: the tolerance keeps it within a 0.3 budget.
  request.placements = {{at(1, 1, 0.1, "a")}, {at(1, 1, 0.2, "b")}};
  request.constraints = {budget(0.3)};
  CHECK(compose(request).answers.size() == 1);
}

TEST_CASE("a budget only the cheapest answer fits is searched without visiting the product") {
  CompositionRequest request;
  for (int r = 0; r < 3; ++r) {
    std::vector<Placement> placements;
    for (int i = 29; i >= 0; --i) placements.push_back(at(1, 1, 1 + i, std::to_string(i)));
    request.placements.push_back(placements);
  }
  request.constraints = {budget(3)};
  CompositionResult result = compose(request);
  CHECK(choices(result) == std::vector<Choice>{{29, 29, 29}});
  CHECK(result.search_nodes < 30 * 30 * 30);
  CHECK(result.search_nodes < 100);
}

TEST_CASE("the top K bound cuts branches that cannot enter the top") {
  CompositionRequest request;
  for (int r = 0; r < 3; ++r) {
    std::vector<Placement> placements;
    for (int i = 0; i < 30; ++i) placements.push_back(at(1, 1, 1 + i, std::to_string(i)));
    request.placements.push_back(placements);
  }
  request.weights.cheapest = 1;
  request.top_k = 1;
  CompositionResult result = compose(request);
  CHECK(choices(result) == std::vector<Choice>{{0, 0, 0}});
  CHECK(result.search_nodes < 1000);
  CHECK(result.feasible < 30 * 30 * 30);
}

TEST_CASE("closest preference ranks by mean distance value") {
  CompositionRequest request;
  request.placements = {
      {at(1, 1, 10, "far", 1500), at(1, 1, 20, "near", 0), at(1, 1, 5, "unknown")},
  };
  request.weights.closest = 1;
  CompositionResult result = compose(request);
  CHECK(choices(result) == std::vector<Choice>{{1}, {0}, {2}});
  CHECK(result.answers[0].score == 1.0);
  CHECK(result.answers[1].distance_value == 0.25);
  CHECK(result.answers[2].distance_value == 0.0);
  CHECK(result.answers[2].price_value == 1.0);
}

TEST_CASE("providers preference ranks by share of preferred placements") {
  CompositionRequest request;
  request.placements = {
      {at(1, 1, 1, "a-other"), at(2, 1, 9, "a-preferred", -1, true)},
      {at(1, 1, 1, "b-other"), at(2, 1, 9, "b-preferred", -1, true)},
  };
  request.weights.providers = 1;
  CompositionResult result = compose(request);
  CHECK(choices(result) == std::vector<Choice>{{1, 1}, {0, 1}, {1, 0}, {0, 0}});
  CHECK(result.answers[1].provider_value == 0.5);
  // Equal shares: the cheaper answer first, then the tie keys ("a-other" < "a-preferred").
  CHECK(result.answers[1].price == result.answers[2].price);
}

TEST_CASE("cheapest preference ranks by price value") {
  CompositionRequest request = two_regions();
  request.weights.cheapest = 2;
  CompositionResult result = compose(request);
  CHECK(choices(result) == std::vector<Choice>{{0, 0}, {0, 1}, {1, 0}, {1, 1}});
  CHECK(near(result.answers[1].price_value, 15.0 / 30.0));
  CHECK(near(result.answers[1].score, 0.5));
}

TEST_CASE("mixed weights combine the normalised values") {
  CompositionRequest request;
  request.placements = {
      {at(1, 1, 100, "cheap-far", 2000), at(2, 1, 200, "dear-near", 0, true)},
  };
  request.weights = {1, 2, 1};
  CompositionResult result = compose(request);
  REQUIRE(result.answers.size() == 2);
  // dear-near: (1 * 0.5 + 2 * 1 + 1 * 1) / 4; cheap-far: (1 * 1 + 2 * 0.2 + 0) / 4.
  CHECK(result.answers[0].choice == Choice{1});
  CHECK(near(result.answers[0].score, 3.5 / 4));
  CHECK(near(result.answers[1].score, 1.4 / 4));

  request.weights = {4, 1, 0};
  result = compose(request);
  // cheap-far: (4 + 0.2) / 5 = 0.84 beats dear-near: (2 + 1) / 5 = 0.6.
  CHECK(result.answers[0].choice == Choice{0});
  CHECK(near(result.answers[0].score, 0.84));
}

TEST_CASE("equal scores are broken by price, then by tie keys") {
  CompositionRequest request;
  request.placements = {{
      at(1, 1, 30, "m", 0),
      at(1, 1, 10, "z", 0),
      at(1, 1, 10, "b", 0),
      at(1, 1, 20, "a", 0),
  }};
  request.weights.closest = 1;
  CompositionResult result = compose(request);
  CHECK(choices(result) == std::vector<Choice>{{2}, {1}, {3}, {0}});
  for (const ComposedAnswer& a : result.answers) CHECK(a.score == 1.0);
}

TEST_CASE("answers tied on score and price at the K-th place are decided by tie keys") {
  // Every answer scores and costs the same; the search meets them in input order, which is the
  // reverse of the tie key order, so each answer it meets after the first K must still replace
  // the K-th: a bound that only ties the K-th score and price cannot cut it.
  CompositionRequest request;
  for (int r = 0; r < 2; ++r) {
    std::vector<Placement> placements;
    for (int i = 0; i < 6; ++i) {
      placements.push_back(at(uint32_t(i), 1, 4, std::string(1, char('f' - i)), 100, i % 2 == 0));
    }
    request.placements.push_back(placements);
  }
  request.weights = {1, 1, 0};
  request.top_k = 3;
  CompositionResult result = compose(request);
  CHECK(choices(result) == std::vector<Choice>{{5, 5}, {5, 4}, {5, 3}});
  request.weights = {0, 0, 0};
  request.top_k = 1;
  CHECK(choices(compose(request)) == std::vector<Choice>{{5, 5}});
  // Free placements: a price of 0 is bounded by exactly 0.
  for (auto& placements : request.placements) {
    for (Placement& p : placements) p.cost = 0;
  }
  request.top_k = 2;
  CHECK(choices(compose(request)) == std::vector<Choice>{{5, 5}, {5, 4}});
}

TEST_CASE("tie keys compare in requirement order") {
  CompositionRequest request;
  request.placements = {
      {at(1, 1, 1, "b"), at(1, 1, 1, "a")},
      {at(1, 1, 1, "a"), at(1, 1, 1, "b")},
  };
  CompositionResult result = compose(request);
  CHECK(choices(result) == std::vector<Choice>{{1, 0}, {1, 1}, {0, 0}, {0, 1}});
}

TEST_CASE("top_k limits the answers, zero returns none") {
  CompositionRequest request = two_regions();
  request.top_k = 2;
  CompositionResult result = compose(request);
  CHECK(choices(result) == std::vector<Choice>{{0, 0}, {0, 1}});

  request.top_k = 0;
  result = compose(request);
  CHECK(result.answers.empty());
  CHECK(result.cheapest_price == 15);
}

TEST_CASE("answers do not depend on the order of the requirements") {
  CompositionRequest request;
  request.placements = {
      {at(1, 1, 3, "a1", 100), at(2, 2, 2, "a2", 10, true)},
      {at(1, 1, 1, "b1", 50), at(2, 2, 4, "b2", 900), at(3, 1, 2, "b3", 0, true)},
      {at(2, 2, 5, "c2", 20)},
  };
  request.constraints = {max_providers(2), budget(11, {0, 1})};
  request.weights = {1, 1, 1};
  CompositionRequest reversed = request;
  std::reverse(reversed.placements.begin(), reversed.placements.end());
  reversed.constraints = {max_providers(2), budget(11, {2, 1})};

  const CompositionResult forward = compose(request);
  const CompositionResult backward = compose(reversed);
  REQUIRE(forward.answers.size() == backward.answers.size());
  REQUIRE_FALSE(forward.answers.empty());
  for (size_t i = 0; i < forward.answers.size(); ++i) {
    Choice flipped = backward.answers[i].choice;
    std::reverse(flipped.begin(), flipped.end());
    CHECK(forward.answers[i].choice == flipped);
    CHECK(near(forward.answers[i].score, backward.answers[i].score));
  }
}

TEST_CASE("impossible same provider is reported as the blocking constraint") {
  CompositionRequest request = two_regions();
  request.placements[1] = {at(2, 2, 5, "b-cheap")};
  request.placements[0] = {at(1, 1, 10, "a-one"), at(3, 1, 11, "a-three")};
  request.constraints = {max_providers(5), constraint(Kind::kSameProvider)};
  CompositionResult result = compose(request);
  CHECK(result.answers.empty());
  CHECK(result.cheapest_price < 0);
  CHECK(result.blocking_constraints == std::vector<uint32_t>{1});
}

TEST_CASE("a budget below the cheapest answer is reported as blocking") {
  CompositionRequest request = two_regions();
  request.constraints = {constraint(Kind::kSameCountry, {0}), budget(14)};
  CompositionResult result = compose(request);
  CHECK(result.answers.empty());
  CHECK(result.blocking_constraints == std::vector<uint32_t>{1});
}

TEST_CASE("blocking constraints list those whose removal alone helps, then those that cut") {
  CompositionRequest request = two_regions();
  // Same country needs 50, the budget allows 20: dropping either makes an answer.
  request.constraints = {constraint(Kind::kSameCountry), budget(20), max_providers(1, {0})};
  CompositionResult result = compose(request);
  CHECK(result.answers.empty());
  REQUIRE(result.blocking_constraints.size() == 2);
  CHECK(std::is_permutation(result.blocking_constraints.begin(), result.blocking_constraints.end(),
                            std::vector<uint32_t>{0, 1}.begin()));

  // Two budgets that each block: neither alone removes the block, both cut branches.
  request.constraints = {budget(14), budget(12), constraint(Kind::kSameProvider, {0})};
  result = compose(request);
  CHECK(result.answers.empty());
  REQUIRE_FALSE(result.blocking_constraints.empty());
  for (uint32_t c : result.blocking_constraints) CHECK(c < 2);
}

TEST_CASE("the search stops at max_search_nodes and says so") {
  CompositionRequest request;
  for (int r = 0; r < 4; ++r) {
    std::vector<Placement> placements;
    for (int i = 0; i < 10; ++i) placements.push_back(at(i, 1, 1 + i, std::to_string(i), i * 10));
    request.placements.push_back(placements);
  }
  request.weights.closest = 1;
  request.max_search_nodes = 50;
  CompositionResult result = compose(request);
  CHECK(result.search_exhausted);
  CHECK(result.search_nodes == 50);

  // Out of nodes in the first pass: the cheapest answer found is the one answer.
  request.max_search_nodes = 4;
  request.constraints = {constraint(Kind::kSameProvider)};
  result = compose(request);
  CHECK(result.search_exhausted);
  CHECK(choices(result) == std::vector<Choice>{{0, 0, 0, 0}});
  CHECK(result.blocking_constraints.empty());
}

// ---- Property: compose() equals a brute force over the whole product. ----

namespace {

bool reference_feasible(const CompositionRequest& request, const Choice& choice) {
  for (const CrossConstraint& c : request.constraints) {
    std::vector<uint32_t> members = c.applies_to;
    if (members.empty()) {
      for (uint32_t r = 0; r < choice.size(); ++r) members.push_back(r);
    }
    std::vector<uint32_t> providers;
    std::vector<uint32_t> countries;
    double sum = 0;
    for (uint32_t r : members) {
      const Placement& p = request.placements[r][choice[r]];
      providers.push_back(p.provider);
      countries.push_back(p.country);
      sum += p.cost;
    }
    std::sort(providers.begin(), providers.end());
    const size_t distinct =
        size_t(std::unique(providers.begin(), providers.end()) - providers.begin());
    switch (c.kind) {
      case Kind::kSameCountry:
        for (uint32_t country : countries) {
          if (country == kNoCountry || country != countries.front()) return false;
        }
        break;
      case Kind::kSameProvider:
        if (distinct > 1) return false;
        break;
      case Kind::kMaxProviders:
        if (distinct > c.max_providers) return false;
        break;
      case Kind::kMonthlyBudget:
        if (sum > c.max_monthly_price + 1e-9 * std::max(1.0, std::abs(c.max_monthly_price))) {
          return false;
        }
        break;
    }
  }
  return true;
}

// The documented scoring, written out independently (same arithmetic order).
ComposedAnswer reference_score(const CompositionRequest& request, const Choice& choice,
                               double cheapest) {
  ComposedAnswer a;
  a.choice = choice;
  double distance = 0;
  double preferred = 0;
  for (size_t r = 0; r < choice.size(); ++r) {
    const Placement& p = request.placements[r][choice[r]];
    a.price += p.cost;
    distance += mpli::resolver::distance_value(p.distance_km);
    preferred += p.preferred_provider ? 1 : 0;
  }
  const double n = double(choice.size());
  a.price_value = a.price == 0 ? 1.0 : cheapest / a.price;
  a.distance_value = distance / n;
  a.provider_value = preferred / n;
  const auto& w = request.weights;
  const double total = w.cheapest + w.closest + w.providers;
  a.score = total <= 0 ? a.price_value
                       : (w.cheapest * a.price_value + w.closest * a.distance_value +
                          w.providers * a.provider_value) /
                             total;
  return a;
}

std::vector<ComposedAnswer> reference_answers(const CompositionRequest& request) {
  std::vector<Choice> feasible;
  Choice choice(request.placements.size(), 0);
  for (;;) {
    if (reference_feasible(request, choice)) feasible.push_back(choice);
    size_t r = 0;
    while (r < choice.size() && ++choice[r] == request.placements[r].size()) choice[r++] = 0;
    if (r == choice.size()) break;
  }
  double cheapest = -1;
  for (const Choice& c : feasible) {
    const double price = reference_score(request, c, 0).price;
    if (cheapest < 0 || price < cheapest) cheapest = price;
  }
  std::vector<ComposedAnswer> answers;
  for (const Choice& c : feasible) answers.push_back(reference_score(request, c, cheapest));
  std::sort(answers.begin(), answers.end(), [&](const ComposedAnswer& a, const ComposedAnswer& b) {
    if (a.score != b.score) return a.score > b.score;
    if (a.price != b.price) return a.price < b.price;
    std::vector<std::string> keys_a;
    std::vector<std::string> keys_b;
    for (size_t r = 0; r < a.choice.size(); ++r) {
      keys_a.emplace_back(request.placements[r][a.choice[r]].tie_key);
      keys_b.emplace_back(request.placements[r][b.choice[r]].tie_key);
    }
    return keys_a < keys_b;
  });
  return answers;
}

CompositionRequest random_request(std::mt19937& rng) {
  auto below = [&](int n) { return int(std::uniform_int_distribution<int>(0, n - 1)(rng)); };
  CompositionRequest request;
  const int requirements = 1 + below(3);
  // Half the problems use quarter costs, exact in binary, so sums hit budgets exactly.
  const bool quarters = below(2) == 0;
  for (int r = 0; r < requirements; ++r) {
    std::vector<Placement> placements(size_t(below(6)));
    for (size_t i = 0; i < placements.size(); ++i) {
      Placement& p = placements[i];
      p.provider = uint32_t(below(3));
      p.country = below(4) == 0 ? kNoCountry : uint32_t(below(2));
      p.cost = quarters ? below(12) * 0.25 : std::uniform_real_distribution<double>(0, 10)(rng);
      p.distance_km = below(4) == 0 ? -1 : double(below(4) * 250);
      p.preferred_provider = below(2) == 0;
      // Unique keys in an order unrelated to the input order.
      p.tie_key = keep(std::string(1, char('a' + below(26))) + std::to_string(r * 10 + int(i)));
    }
    request.placements.push_back(placements);
  }
  const double weights[] = {0, 0.5, 1, 2};
  request.weights = {weights[below(4)], weights[below(4)], weights[below(4)]};
  const int constraints = below(4);
  for (int i = 0; i < constraints; ++i) {
    CrossConstraint c;
    c.kind = Kind(below(4));
    for (int r = 0; r < requirements; ++r) {
      if (below(3) == 0) c.applies_to.push_back(uint32_t(r));
    }
    c.max_providers = uint32_t(below(4));
    c.max_monthly_price = quarters ? below(40) * 0.25 : below(30);
    request.constraints.push_back(c);
  }
  request.top_k = 1'000'000;
  return request;
}

void check_same_answers(const std::vector<ComposedAnswer>& got,
                        const std::vector<ComposedAnswer>& want) {
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    CHECK(got[i].choice == want[i].choice);
    CHECK(got[i].price == want[i].price);
    CHECK(got[i].score == want[i].score);
    CHECK(got[i].price_value == want[i].price_value);
    CHECK(got[i].distance_value == want[i].distance_value);
    CHECK(got[i].provider_value == want[i].provider_value);
  }
}

}  // namespace

TEST_CASE("compose matches a brute force reference on random problems") {
  for (uint32_t seed = 1; seed <= 300; ++seed) {
    INFO("seed " << seed);
    std::mt19937 rng(seed);
    CompositionRequest request = random_request(rng);
    CompositionResult all = compose(request);
    CHECK_FALSE(all.search_exhausted);
    const bool has_placements = std::none_of(request.placements.begin(), request.placements.end(),
                                             [](const auto& p) { return p.empty(); });
    if (!has_placements) {
      CHECK(all.answers.empty());
      CHECK(all.blocking_constraints.empty());
      continue;
    }
    const std::vector<ComposedAnswer> want = reference_answers(request);
    check_same_answers(all.answers, want);
    CHECK(all.feasible == want.size());
    double cheapest = -1;
    for (const ComposedAnswer& a : want) {
      if (cheapest < 0 || a.price < cheapest) cheapest = a.price;
    }
    CHECK(all.cheapest_price == cheapest);
    // Infeasible problems always name at least one valid, distinct blocking constraint.
    CHECK(all.blocking_constraints.empty() == !want.empty());
    std::vector<uint32_t> blocking = all.blocking_constraints;
    std::sort(blocking.begin(), blocking.end());
    CHECK(std::adjacent_find(blocking.begin(), blocking.end()) == blocking.end());
    for (uint32_t c : blocking) CHECK(c < request.constraints.size());

    request.top_k = 3;
    CompositionResult top = compose(request);
    const size_t three = std::min<size_t>(3, want.size());
    const std::vector<ComposedAnswer> first(want.begin(), want.begin() + ptrdiff_t(three));
    check_same_answers(top.answers, first);
    CHECK(top.feasible <= all.feasible);
  }
}

// ---- Property: the pruned search equals the brute force where its bounds bind. ----

namespace {

// Denser problems than random_request: few providers and countries (so SameCountry,
// SameProvider and MaxProviders restrict what later requirements can take), costs from a short
// list (equal prices, so scores tie and price and tie keys decide), preferred placements both
// cheap and dear, budgets near the cheap end, and K from 1 to more than there are answers.
CompositionRequest random_dense_request(std::mt19937& rng) {
  auto below = [&](int n) { return int(std::uniform_int_distribution<int>(0, n - 1)(rng)); };
  CompositionRequest request;
  const int requirements = 2 + below(3);
  const int per_requirement = requirements == 4 ? 8 : 14;
  const double costs[] = {1, 1, 2, 2.5, 3, 4, 4, 6, 9, 15};
  const double kms[] = {-1, 0, 100, 100, 500, 2000};
  for (int r = 0; r < requirements; ++r) {
    std::vector<Placement> placements(size_t(1 + below(per_requirement)));
    for (size_t i = 0; i < placements.size(); ++i) {
      Placement& p = placements[i];
      p.provider = uint32_t(below(4));
      p.country = below(6) == 0 ? kNoCountry : uint32_t(below(3));
      p.cost = costs[below(10)];
      p.distance_km = kms[below(6)];
      // Mostly provider 0 is preferred; now and then one placement elsewhere is.
      p.preferred_provider = p.provider == 0 || below(10) == 0;
      p.tie_key = keep(std::string(1, char('a' + below(26))) + std::to_string(r * 100 + int(i)));
    }
    request.placements.push_back(placements);
  }
  const double weights[] = {0, 0.1, 0.3, 0.6, 1};
  request.weights = {weights[below(5)], weights[below(5)], weights[below(5)]};
  const int constraints = below(5);
  for (int i = 0; i < constraints; ++i) {
    CrossConstraint c;
    c.kind = Kind(below(4));
    if (below(2) == 0) {
      for (int r = 0; r < requirements; ++r) {
        if (below(2) == 0) c.applies_to.push_back(uint32_t(r));
      }
    }
    c.max_providers = uint32_t(below(4));
    c.max_monthly_price = double(requirements * (1 + below(8)));
    request.constraints.push_back(c);
  }
  const size_t ks[] = {1, 2, 3, 7, 1'000'000};
  request.top_k = ks[below(5)];
  return request;
}

}  // namespace

TEST_CASE("compose matches a brute force reference on dense problems with ties") {
  size_t feasible_problems = 0;
  size_t cut_problems = 0;  // where K was smaller than the number of answers
  for (uint32_t seed = 1; seed <= 400; ++seed) {
    INFO("seed " << seed);
    std::mt19937 rng(seed);
    const CompositionRequest request = random_dense_request(rng);
    const CompositionResult got = compose(request);
    CHECK_FALSE(got.search_exhausted);
    const std::vector<ComposedAnswer> want = reference_answers(request);
    const size_t k = std::min(request.top_k, want.size());
    check_same_answers(got.answers,
                       std::vector<ComposedAnswer>(want.begin(), want.begin() + ptrdiff_t(k)));
    double cheapest = -1;
    for (const ComposedAnswer& a : want) {
      if (cheapest < 0 || a.price < cheapest) cheapest = a.price;
    }
    CHECK(got.cheapest_price == cheapest);
    // An infeasible problem names at least one blocking constraint (also when two only block
    // together, such as SameProvider with no provider in common); a feasible one none.
    CHECK(got.blocking_constraints.empty() == !want.empty());
    feasible_problems += want.empty() ? 0 : 1;
    cut_problems += k < want.size() ? 1 : 0;
  }
  // The generator must keep producing both kinds of problem for the comparison to mean much.
  CHECK(feasible_problems > 150);
  CHECK(cut_problems > 100);
}

TEST_CASE(
    "one country and two providers within a budget are searched without visiting the product") {
  // Like the benchmark's m3: three requirements, many providers, most pairs of placements in
  // different countries or at different providers, one preferred provider that is dear.
  std::mt19937 rng(7);
  auto below = [&](int n) { return int(std::uniform_int_distribution<int>(0, n - 1)(rng)); };
  CompositionRequest request;
  for (int r = 0; r < 3; ++r) {
    std::vector<Placement> placements;
    for (int i = 0; i < 100; ++i) {
      const uint32_t provider = uint32_t(below(40));
      placements.push_back(at(provider, uint32_t(below(4)), 5 + below(200),
                              std::to_string(r) + "-" + std::to_string(i), -1, provider == 0));
    }
    request.placements.push_back(placements);
  }
  request.constraints = {constraint(Kind::kSameCountry), max_providers(2), budget(300)};
  request.weights = {0.6, 0.3, 0.1};
  const CompositionResult result = compose(request);
  const std::vector<ComposedAnswer> want = reference_answers(request);
  REQUIRE(want.size() > 10);
  check_same_answers(result.answers, std::vector<ComposedAnswer>(want.begin(), want.begin() + 10));
  CHECK(result.search_nodes < 100 * 100 * 100 / 1000);
}
