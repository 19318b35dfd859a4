// The bill: one consumer, one calendar month, a line per order with billable time, and totals
// per provider and per currency that are exact sums of the lines. Pure: the store supplies the
// orders, the caller supplies `now`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "libs/core/status.h"
#include "mpli/delivery/v1/delivery.pb.h"
#include "services/delivery/billing/rating.h"

namespace mpli::delivery::billing {

// Where an order ran from a moment to another, at which price (a move splits an order in two).
struct Placement {
  std::string provider_id;
  std::string offering_id;
  std::string offering_name;
  std::optional<std::string> price_amount;  // none: unpriced
  std::string price_currency;
  std::string price_unit;
  std::int64_t from_unix_ms = 0;
  std::optional<std::int64_t> until_unix_ms;  // none: still there
};

// What the bill needs of one order.
struct OrderUsage {
  std::string order_id;
  std::string provider_id;
  std::string offering_id;
  std::string offering_name;
  std::optional<std::string> price_amount;  // the decimal as stored; none: the order is unpriced
  std::string price_currency;
  std::string price_unit;
  std::int32_t quantity = 1;
  std::vector<StateChange> history;  // oldest first
  // Since its first move, oldest first; empty: it never moved, and the fields above (its
  // current provider and price) hold for its whole life.
  std::vector<Placement> placements;
};

// One line per placement of each order (the billable time while it was there, at that
// provider's price); lines sorted by provider, order id, then time. Placements with no billable
// seconds in the period and unpriced ones are left out. A price that does not parse or a unit that
// cannot be rated is kFailedPrecondition naming the order: a bill never silently drops what it
// cannot rate.
Result<v1::Bill> make_bill(const std::string& tenant, const Period& period,
                           const std::vector<OrderUsage>& orders, std::int64_t now_unix_ms);

}  // namespace mpli::delivery::billing
