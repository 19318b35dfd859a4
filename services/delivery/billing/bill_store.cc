#include "services/delivery/billing/bill_store.h"

#include <map>
#include <pqxx/pqxx>

namespace mpli::delivery::billing {

namespace {

// One statement, so orders and transitions come from one snapshot. Bounds are epoch
// milliseconds; times come back as epoch milliseconds (numeric extract: exact, floored).
constexpr const char* kUsageSql = R"sql(
SELECT o.id, o.provider_id, o.offering_id, o.offering_name, o.price_amount::text,
       o.price_currency, o.price_unit, o.quantity, t.to_state,
       floor(extract(epoch FROM t.at) * 1000)::bigint
FROM delivery.orders o
JOIN delivery.order_transitions t ON t.order_id = o.id
WHERE o.tenant = $1
  AND t.at < to_timestamp($3::bigint / 1000.0)
  AND NOT EXISTS (
    SELECT 1 FROM delivery.order_transitions ended
    WHERE ended.order_id = o.id AND ended.to_state IN ('deleted', 'rejected', 'failed')
      AND ended.at < to_timestamp($2::bigint / 1000.0))
ORDER BY o.id, t.seq
)sql";

constexpr const char* kPlacementsSql = R"sql(
SELECT p.order_id, p.provider_id, p.offering_id, p.offering_name, p.price_amount::text,
       p.price_currency, p.price_unit, floor(extract(epoch FROM p.from_at) * 1000)::bigint,
       floor(extract(epoch FROM p.until_at) * 1000)::bigint
FROM delivery.placements p
JOIN delivery.orders o ON o.id = p.order_id
WHERE o.tenant = $1
ORDER BY p.order_id, p.seq
)sql";

}  // namespace

Result<std::vector<OrderUsage>> BillStore::usage(const std::string& tenant, const Period& period) {
  return pool_.transact([&](pqxx::work& tx) -> Result<std::vector<OrderUsage>> {
    auto rows = tx.exec_params(kUsageSql, tenant, period.start_unix_ms, period.end_unix_ms);
    std::vector<OrderUsage> orders;
    for (const auto& row : rows) {
      auto id = row[0].as<std::string>();
      if (orders.empty() || orders.back().order_id != id) {
        OrderUsage order;
        order.order_id = id;
        order.provider_id = row[1].as<std::string>();
        order.offering_id = row[2].as<std::string>();
        order.offering_name = row[3].as<std::string>();
        if (!row[4].is_null()) order.price_amount = row[4].as<std::string>();
        order.price_currency = row[5].as<std::string>();
        order.price_unit = row[6].as<std::string>();
        order.quantity = row[7].as<std::int32_t>();
        orders.push_back(std::move(order));
      }
      orders.back().history.push_back({row[8].as<std::string>(), row[9].as<std::int64_t>()});
    }
    // All of a moved order's placements, so that none falls back to its current price; the
    // bill clips each to the period.
    std::map<std::string, OrderUsage*> by_id;
    for (auto& order : orders) by_id[order.order_id] = &order;
    for (const auto& row : tx.exec_params(kPlacementsSql, tenant)) {
      auto order = by_id.find(row[0].as<std::string>());
      if (order == by_id.end()) continue;
      Placement placement;
      placement.provider_id = row[1].as<std::string>();
      placement.offering_id = row[2].as<std::string>();
      placement.offering_name = row[3].as<std::string>();
      if (!row[4].is_null()) placement.price_amount = row[4].as<std::string>();
      placement.price_currency = row[5].as<std::string>();
      placement.price_unit = row[6].as<std::string>();
      placement.from_unix_ms = row[7].as<std::int64_t>();
      if (!row[8].is_null()) placement.until_unix_ms = row[8].as<std::int64_t>();
      order->second->placements.push_back(std::move(placement));
    }
    return orders;
  });
}

}  // namespace mpli::delivery::billing
