#include "services/delivery/billing/bill.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <map>
#include <random>

#include "services/delivery/billing/test_support.h"

using namespace mpli::delivery::billing;
using namespace mpli::delivery::billing::test;
using mpli::StatusCode;

namespace {

OrderUsage order(const std::string& id, const std::string& provider, const std::string& price,
                 const std::string& unit, const std::string& currency, int quantity,
                 std::vector<StateChange> history) {
  OrderUsage usage;
  usage.order_id = id;
  usage.provider_id = provider;
  usage.offering_id = "https://" + provider + ".example/offerings/db";
  usage.offering_name = "Managed PostgreSQL";
  usage.price_amount = price;
  usage.price_unit = unit;
  usage.price_currency = currency;
  usage.quantity = quantity;
  usage.history = std::move(history);
  return usage;
}

const Period kNovember = month("2026-11");
const std::int64_t kAfterNovember = month("2026-12").start_unix_ms + kHour;

std::vector<StateChange> active_between(std::int64_t from, std::int64_t to) {
  return {{"provisioning", from - 1000}, {"active", from}, {"deleted", to}};
}

}  // namespace

TEST_CASE("a bill has a line per order by provider then order id, and exact totals") {
  const auto start = kNovember.start_unix_ms;
  std::vector<OrderUsage> orders = {
      order("ord_b", "zeta", "49.90", "MON", "EUR", 1, active_between(start, start + 10 * kDay)),
      order("ord_c", "alpha", "0.0137", "HUR", "EUR", 2, active_between(start, start + kDay)),
      order("ord_a", "zeta", "20", "MON", "EUR", 1, {{"active", start + 5 * kDay}}),
      order("ord_d", "alpha", "3.50", "MON", "CHF", 1, {{"active", start}}),
  };
  auto bill = make_bill("acme", kNovember, orders, kAfterNovember);
  REQUIRE(bill.is_ok());
  CHECK(bill->tenant() == "acme");
  CHECK(bill->period() == "2026-11");
  CHECK(bill->period_start() == "2026-11-01T00:00:00Z");
  CHECK(bill->period_end() == "2026-12-01T00:00:00Z");
  CHECK(bill->final());
  REQUIRE(bill->lines_size() == 4);
  CHECK(bill->lines(0).order_id() == "ord_c");
  CHECK(bill->lines(1).order_id() == "ord_d");
  CHECK(bill->lines(2).order_id() == "ord_a");
  CHECK(bill->lines(3).order_id() == "ord_b");

  const auto& c = bill->lines(0);  // 24 h x 0.0137 x 2 = 0.6576
  CHECK(c.provider_id() == "alpha");
  CHECK(c.billable_seconds() == 86400);
  CHECK(c.quantity() == 2);
  CHECK(c.unit_price() == "0.0137");
  CHECK(c.price_unit() == "HUR");
  CHECK(c.currency() == "EUR");
  CHECK(c.amount() == "0.66");
  CHECK(bill->lines(1).amount() == "3.45");   // 720/730 x 3.50 = 3.452...
  CHECK(bill->lines(2).amount() == "16.44");  // 600/730 x 20 = 16.438...
  CHECK(bill->lines(3).amount() == "16.41");  // 240/730 x 49.90 = 16.405...

  REQUIRE(bill->providers_size() == 3);
  CHECK(bill->providers(0).provider_id() == "alpha");
  CHECK(bill->providers(0).currency() == "CHF");
  CHECK(bill->providers(0).amount() == "3.45");
  CHECK(bill->providers(1).provider_id() == "alpha");
  CHECK(bill->providers(1).currency() == "EUR");
  CHECK(bill->providers(1).amount() == "0.66");
  CHECK(bill->providers(2).provider_id() == "zeta");
  CHECK(bill->providers(2).amount() == "32.85");

  REQUIRE(bill->totals_size() == 2);
  CHECK(bill->totals(0).currency() == "CHF");
  CHECK(bill->totals(0).amount() == "3.45");
  CHECK(bill->totals(1).currency() == "EUR");
  CHECK(bill->totals(1).amount() == "33.51");
}

TEST_CASE("totals are sums of rounded lines, not rounded sums") {
  // Three lines of 0.005 each: each rounds (half-even) to 0.00, so the total is 0.00, where
  // rounding the exact sum 0.015 would give 0.02.
  const auto start = kNovember.start_unix_ms;
  std::vector<OrderUsage> orders;
  for (const char* id : {"ord_1", "ord_2", "ord_3"}) {
    orders.push_back(
        order(id, "p", "0.01", "HUR", "EUR", 1, active_between(start, start + 1'800'000)));
  }
  auto bill = make_bill("acme", kNovember, orders, kAfterNovember);
  REQUIRE(bill.is_ok());
  REQUIRE(bill->lines_size() == 3);
  for (const auto& line : bill->lines()) CHECK(line.amount() == "0.00");
  CHECK(bill->totals(0).amount() == "0.00");
}

TEST_CASE("orders without billable time in the period and unpriced orders have no line") {
  const auto start = kNovember.start_unix_ms;
  auto unpriced = order("ord_free", "p", "", "MON", "", 1, {{"active", start}});
  unpriced.price_amount.reset();
  std::vector<OrderUsage> orders = {
      order("ord_october", "p", "10", "MON", "EUR", 1,
            active_between(start - 2 * kDay, start - kDay)),
      order("ord_never_active", "p", "10", "MON", "EUR", 1,
            {{"requested", start}, {"rejected", start + 1000}}),
      order("ord_short", "p", "10", "MON", "EUR", 1, active_between(start, start + 999)),
      unpriced,
  };
  auto bill = make_bill("acme", kNovember, orders, kAfterNovember);
  REQUIRE(bill.is_ok());
  CHECK(bill->lines_size() == 0);
  CHECK(bill->providers_size() == 0);
  CHECK(bill->totals_size() == 0);
}

TEST_CASE("a bill for the running month is not final and counts up to now") {
  const auto start = kNovember.start_unix_ms;
  std::vector<OrderUsage> orders = {
      order("ord_1", "p", "7.30", "MON", "EUR", 1, {{"active", start}})};
  auto bill = make_bill("acme", kNovember, orders, start + 10 * kHour);
  REQUIRE(bill.is_ok());
  CHECK_FALSE(bill->final());
  REQUIRE(bill->lines_size() == 1);
  CHECK(bill->lines(0).billable_seconds() == 36000);
  CHECK(bill->lines(0).amount() == "0.10");  // 10/730 x 7.30
  CHECK(bill->generated_at() == "2026-11-01T10:00:00Z");
}

TEST_CASE("an order that cannot be rated fails the bill, naming the order") {
  const auto start = kNovember.start_unix_ms;
  for (auto [price, unit] : {std::pair<const char*, const char*>{"1e3", "MON"}, {"10", "ANN"}}) {
    std::vector<OrderUsage> orders = {
        order("ord_odd", "p", price, unit, "EUR", 1, {{"active", start}})};
    auto bill = make_bill("acme", kNovember, orders, kAfterNovember);
    REQUIRE_FALSE(bill.is_ok());
    CHECK(bill.status().code() == StatusCode::kFailedPrecondition);
    CHECK_THAT(bill.status().message(), Catch::Contains("ord_odd"));
  }
}

TEST_CASE("property: every total equals the exact sum of its lines") {
  std::mt19937_64 random(56);
  const auto start = kNovember.start_unix_ms;
  const auto end = kNovember.end_unix_ms;
  std::uniform_int_distribution<std::int64_t> instants(start - 5 * kDay, end + 5 * kDay);
  std::uniform_int_distribution<int> cents(1, 99'999'999);
  std::uniform_int_distribution<int> small(0, 3);
  std::uniform_int_distribution<int> quantities(1, 40);
  const std::vector<std::string> providers = {"alpha", "beta", "gamma"};
  const std::vector<std::string> currencies = {"EUR", "CHF"};
  const std::vector<std::string> states = {"provisioning", "active",         "modifying",
                                           "active",       "deprovisioning", "deleted"};
  for (int round = 0; round < 200; ++round) {
    std::vector<OrderUsage> orders;
    int count = 1 + small(random) * 5;
    for (int i = 0; i < count; ++i) {
      std::vector<std::int64_t> times;
      for (size_t k = 0; k < states.size(); ++k) times.push_back(instants(random));
      std::sort(times.begin(), times.end());
      std::vector<StateChange> history;
      for (size_t k = 0; k < states.size(); ++k) history.push_back({states[k], times[k]});
      // A price with up to 4 places: cents / 10^(0..3) then / 100.
      auto price = Decimal::from_integer(cents(random))
                       .divide(100, 2)
                       ->divide(static_cast<std::int64_t>(std::pow(10, small(random))), 12);
      orders.push_back(
          order("ord_" + std::to_string(i), providers[static_cast<size_t>(small(random)) % 3],
                price->to_string(), small(random) % 2 == 0 ? "MON" : "HUR",
                currencies[static_cast<size_t>(small(random)) % 2], quantities(random), history));
    }
    auto bill = make_bill("acme", kNovember, orders, kAfterNovember);
    REQUIRE(bill.is_ok());
    std::map<std::string, Decimal> by_currency;
    std::map<std::pair<std::string, std::string>, Decimal> by_provider;
    std::string previous;
    for (const auto& line : bill->lines()) {
      std::string key = line.provider_id() + "/" + line.order_id();
      CHECK(previous < key);
      previous = key;
      CHECK(line.billable_seconds() > 0);
      CHECK(line.billable_seconds() <= (end - start) / 1000);
      Decimal amount = d(line.amount());
      CHECK(amount.has_at_most_places(2));
      CHECK(line.amount().substr(line.amount().find('.') + 1).size() == 2);
      // The line is the rule applied once to its own fields.
      CHECK(line_amount(Price{d(line.unit_price()), line.price_unit(), line.quantity()},
                        line.billable_seconds())
                .value() == amount);
      by_currency[line.currency()] = by_currency[line.currency()].add(amount).value();
      auto& provider_sum = by_provider[{line.provider_id(), line.currency()}];
      provider_sum = provider_sum.add(amount).value();
    }
    REQUIRE(static_cast<size_t>(bill->totals_size()) == by_currency.size());
    for (const auto& total : bill->totals())
      CHECK(d(total.amount()) == by_currency[total.currency()]);
    REQUIRE(static_cast<size_t>(bill->providers_size()) == by_provider.size());
    std::map<std::string, Decimal> providers_by_currency;
    for (const auto& total : bill->providers()) {
      CHECK(d(total.amount()) == by_provider[{total.provider_id(), total.currency()}]);
      providers_by_currency[total.currency()] =
          providers_by_currency[total.currency()].add(d(total.amount())).value();
    }
    CHECK(providers_by_currency == by_currency);
  }
}

TEST_CASE("an order moved mid-month has a line per provider, split at the move") {
  const auto start = kNovember.start_unix_ms;
  const auto moved = start + 10 * kDay + 1500;  // not on a whole second
  OrderUsage usage =
      order("ord_m", "hexacloud", "690.00", "MON", "EUR", 1, {{"active", start - kDay}});
  Placement before;
  before.provider_id = "hexacloud";
  before.offering_id = "https://hexacloud.example/m#pg";
  before.offering_name = "PostgreSQL SecNumCloud";
  before.price_amount = "690.00";
  before.price_currency = "EUR";
  before.price_unit = "MON";
  before.from_unix_ms = start - 2 * kDay;
  before.until_unix_ms = moved;
  Placement after = before;
  after.provider_id = "nordwolke";
  after.offering_id = "https://nordwolke.example/m#pg-m";
  after.offering_name = "PostgreSQL M";
  after.price_amount = "149.00";
  after.from_unix_ms = moved;
  after.until_unix_ms.reset();
  usage.placements = {before, after};

  auto bill = make_bill("acme", kNovember, {usage}, kAfterNovember);
  REQUIRE(bill.is_ok());
  REQUIRE(bill->lines_size() == 2);
  const auto& first = bill->lines(0);
  const auto& second = bill->lines(1);
  CHECK(first.provider_id() == "hexacloud");
  CHECK(first.unit_price() == "690.00");
  CHECK(first.offering_name() == "PostgreSQL SecNumCloud");
  CHECK(first.billable_seconds() == 10 * kSecondsPerDay + 1);
  CHECK(second.provider_id() == "nordwolke");
  CHECK(second.order_id() == "ord_m");
  CHECK(second.unit_price() == "149.00");
  CHECK(second.offering_id() == "https://nordwolke.example/m#pg-m");
  // 30 days of November in all; each side truncated to whole seconds on its own.
  CHECK(second.billable_seconds() == 20 * kSecondsPerDay - 2);
  REQUIRE(bill->providers_size() == 2);
  CHECK(bill->providers(0).provider_id() == "hexacloud");
  CHECK(bill->providers(1).provider_id() == "nordwolke");

  SECTION("a placement that ended before the period bills nothing there") {
    auto december = make_bill("acme", month("2026-12"), {usage}, month("2027-01").start_unix_ms);
    REQUIRE(december.is_ok());
    REQUIRE(december->lines_size() == 1);
    CHECK(december->lines(0).provider_id() == "nordwolke");
    CHECK(december->lines(0).billable_seconds() == 31 * kSecondsPerDay);
  }
  SECTION("an order that never moved is one line at its own price") {
    usage.placements.clear();
    auto whole = make_bill("acme", kNovember, {usage}, kAfterNovember);
    REQUIRE(whole.is_ok());
    REQUIRE(whole->lines_size() == 1);
    CHECK(whole->lines(0).billable_seconds() == 30 * kSecondsPerDay);
    CHECK(whole->lines(0).provider_id() == "hexacloud");
  }
}
