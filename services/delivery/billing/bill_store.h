// The bill's reads: a tenant's orders that could have billable time in a period, with their
// history. Named SQL and row mapping only; rating is in rating.h and bill.h.
#pragma once

#include <vector>

#include "libs/db/pool.h"
#include "services/delivery/billing/bill.h"

namespace mpli::delivery::billing {

class BillStore {
 public:
  explicit BillStore(db::Pool& pool) : pool_(pool) {}

  // Orders of `tenant` with a transition before the period's end and not deleted, rejected or
  // failed before its start; each with its transitions up to the period's end, oldest first.
  // The price comes as numeric's text, so it stays exactly as written.
  Result<std::vector<OrderUsage>> usage(const std::string& tenant, const Period& period);

 private:
  db::Pool& pool_;
};

}  // namespace mpli::delivery::billing
