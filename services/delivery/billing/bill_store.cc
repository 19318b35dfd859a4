#include "services/delivery/billing/bill_store.h"

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
    return orders;
  });
}

}  // namespace mpli::delivery::billing
