#include "services/delivery/billing/bill.h"

#include <algorithm>
#include <map>
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

Result<v1::Bill> make_bill(const std::string& tenant, const Period& period,
                           const std::vector<OrderUsage>& orders, std::int64_t now_unix_ms) {
  std::vector<const OrderUsage*> sorted;
  sorted.reserve(orders.size());
  for (const auto& order : orders) sorted.push_back(&order);
  std::sort(sorted.begin(), sorted.end(), [](const OrderUsage* a, const OrderUsage* b) {
    return std::tie(a->provider_id, a->order_id) < std::tie(b->provider_id, b->order_id);
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
  for (const OrderUsage* order : sorted) {
    if (!order->price_amount) continue;
    std::int64_t seconds = billable_seconds(order->history, period, now_unix_ms);
    if (seconds == 0) continue;
    auto unit_price = Decimal::parse(*order->price_amount);
    if (!unit_price.is_ok()) return cannot_rate(*order, unit_price.status());
    auto amount = line_amount(Price{*unit_price, order->price_unit, order->quantity}, seconds);
    if (!amount.is_ok()) return cannot_rate(*order, amount.status());

    v1::BillLine* line = bill.add_lines();
    line->set_provider_id(order->provider_id);
    line->set_order_id(order->order_id);
    line->set_offering_id(order->offering_id);
    line->set_offering_name(order->offering_name);
    line->set_quantity(order->quantity);
    line->set_unit_price(*order->price_amount);
    line->set_price_unit(order->price_unit);
    line->set_currency(order->price_currency);
    line->set_billable_seconds(seconds);
    line->set_amount(amount->to_fixed(kAmountPlaces));

    MPLI_RETURN_IF_ERROR(add_to(by_provider, {order->provider_id, order->price_currency}, *amount));
    MPLI_RETURN_IF_ERROR(add_to(by_currency, {"", order->price_currency}, *amount));
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
