// Rating: how much of a calendar month an order was billable, and what that costs. Pure.
//
// The rule (docs/bills.md):
//   - An order is billable while it is in state active, modifying or deprovisioning: from the
//     transition into one of those states until the transition out of them. It is not billable
//     while requested, accepted or provisioning, nor once deleted, rejected or failed.
//   - A period is one calendar month in UTC, "YYYY-MM", the half-open interval [start, end).
//     For a month not yet over, time is counted up to `now`.
//   - Billable time is summed in milliseconds and truncated to whole seconds once per order.
//   - The line amount is, exactly, for unit
//       MON: price x quantity x seconds / (730 x 3600)   (730 hours per month, docs/manifests.md)
//       HUR: price x quantity x seconds / 3600
//     rounded half-even to 2 places once per line; totals are exact sums of rounded lines.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "libs/core/status.h"
#include "services/delivery/billing/decimal.h"

namespace mpli::delivery::billing {

constexpr std::int64_t kHoursPerMonth = 730;
constexpr std::int64_t kSecondsPerHour = 3600;

// A typed delivery error (mpli.delivery.v1.ErrorReason `reason`, domain "delivery").
Status delivery_error(StatusCode code, std::string_view reason, std::string message,
                      std::map<std::string, std::string> details = {});

struct Period {
  std::string name;            // "2026-11"
  std::int64_t start_unix_ms;  // first instant of the month, UTC
  std::int64_t end_unix_ms;    // first instant of the next month (exclusive)
};

// "YYYY-MM" with a year 1970..9999 and a month 01..12; anything else is INVALID_ARGUMENT with
// reason BILL_PERIOD_INVALID and field "period".
Result<Period> parse_period(std::string_view text);

// "2026-11-01T00:00:00Z"
std::string rfc3339_utc(std::int64_t unix_ms);

// One row of an order's history: the state it entered and when (oldest first).
struct StateChange {
  std::string to_state;
  std::int64_t at_unix_ms = 0;
};

bool is_billable_state(std::string_view state);

// Whole seconds the order was billable within [period start, min(period end, now)).
// `history` is in the order it happened (by sequence); the last state lasts until `now`.
std::int64_t billable_seconds(const std::vector<StateChange>& history, const Period& period,
                              std::int64_t now_unix_ms);

struct Price {
  Decimal amount;    // per unit and per `unit` of time
  std::string unit;  // "MON" or "HUR"
  std::int32_t quantity = 1;
};

// The line amount for `seconds` of billable time, rounded half-even to 2 places. An unknown
// unit or a quantity below 1 is kFailedPrecondition (the order cannot be rated); overflow is
// kInvalidArgument from Decimal.
Result<Decimal> line_amount(const Price& price, std::int64_t seconds);

}  // namespace mpli::delivery::billing
