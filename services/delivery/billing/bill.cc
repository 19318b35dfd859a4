#include "services/delivery/billing/bill.h"

#include <algorithm>
#include <limits>
#include <map>
#include <tuple>
#include <utility>

namespace mpli::delivery::billing {

namespace {

constexpr int kAmountPlaces = 2;

Status cannot_rate(const OrderUsage& order, const Status& why) {
  return failed_precondition("order " + order.order_id + " cannot be rated: " + why.message());
}

Status add_to(std::map<std::pair<std::string, std::string>, Decimal>& sums,
              const std::pair<std::string, std::string>& key, const Decimal& amount) {
  MPLI_ASSIGN_OR_RETURN(Decimal sum, sums[key].add(amount));
  sums[key] = sum;
  return Status::ok();
}

}  // namespace

namespace {

struct Line {
  const OrderUsage* order;
  Placement placement;
};

// An order that never moved is one placement over its whole life.
std::vector<Placement> placements_of(const OrderUsage& order) {
  if (!order.placements.empty()) return order.placements;
  Placement whole;
  whole.provider_id = order.provider_id;
  whole.offering_id = order.offering_id;
  whole.offering_name = order.offering_name;
  whole.price_amount = order.price_amount;
  whole.price_currency = order.price_currency;
  whole.price_unit = order.price_unit;
  whole.from_unix_ms = std::numeric_limits<std::int64_t>::min();
  return {whole};
}

}  // namespace

Result<v1::Bill> make_bill(const std::string& tenant, const Period& period,
                           const std::vector<OrderUsage>& orders, std::int64_t now_unix_ms) {
  std::vector<Line> lines;
  for (const auto& order : orders) {
    for (auto& placement : placements_of(order)) lines.push_back({&order, std::move(placement)});
  }
  std::sort(lines.begin(), lines.end(), [](const Line& a, const Line& b) {
    return std::tie(a.placement.provider_id, a.order->order_id, a.placement.from_unix_ms) <
           std::tie(b.placement.provider_id, b.order->order_id, b.placement.from_unix_ms);
  });

  v1::Bill bill;
  bill.set_tenant(tenant);
  bill.set_period(period.name);
  bill.set_period_start(rfc3339_utc(period.start_unix_ms));
  bill.set_period_end(rfc3339_utc(period.end_unix_ms));
  bill.set_generated_at(rfc3339_utc(now_unix_ms));
  bill.set_final(now_unix_ms >= period.end_unix_ms);

  // Keyed (provider, currency) and ("", currency); std::map keeps both sorted for the reply.
  std::map<std::pair<std::string, std::string>, Decimal> by_provider;
  std::map<std::pair<std::string, std::string>, Decimal> by_currency;
  for (const Line& entry : lines) {
    const OrderUsage* order = entry.order;
    const Placement& at = entry.placement;
    if (!at.price_amount) continue;
    // The placement's share of the period: the same rule, over a narrower window.
    Period window = period;
    window.start_unix_ms = std::max(period.start_unix_ms, at.from_unix_ms);
    if (at.until_unix_ms) window.end_unix_ms = std::min(period.end_unix_ms, *at.until_unix_ms);
    if (window.end_unix_ms <= window.start_unix_ms) continue;
    std::int64_t seconds = billable_seconds(order->history, window, now_unix_ms);
    if (seconds == 0) continue;
    auto unit_price = Decimal::parse(*at.price_amount);
    if (!unit_price.is_ok()) return cannot_rate(*order, unit_price.status());
    auto amount = line_amount(Price{*unit_price, at.price_unit, order->quantity}, seconds);
    if (!amount.is_ok()) return cannot_rate(*order, amount.status());

    v1::BillLine* line = bill.add_lines();
    line->set_provider_id(at.provider_id);
    line->set_order_id(order->order_id);
    line->set_offering_id(at.offering_id);
    line->set_offering_name(at.offering_name);
    line->set_quantity(order->quantity);
    line->set_unit_price(*at.price_amount);
    line->set_price_unit(at.price_unit);
    line->set_currency(at.price_currency);
    line->set_billable_seconds(seconds);
    line->set_amount(amount->to_fixed(kAmountPlaces));

    MPLI_RETURN_IF_ERROR(add_to(by_provider, {at.provider_id, at.price_currency}, *amount));
    MPLI_RETURN_IF_ERROR(add_to(by_currency, {"", at.price_currency}, *amount));
  }

  for (const auto& [key, sum] : by_provider) {
    v1::ProviderTotal* total = bill.add_providers();
    total->set_provider_id(key.first);
    total->set_currency(key.second);
    total->set_amount(sum.to_fixed(kAmountPlaces));
  }
  for (const auto& [key, sum] : by_currency) {
    v1::CurrencyTotal* total = bill.add_totals();
    total->set_currency(key.second);
    total->set_amount(sum.to_fixed(kAmountPlaces));
  }
  return bill;
}

}  // namespace mpli::delivery::billing
