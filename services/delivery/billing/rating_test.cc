#include "services/delivery/billing/rating.h"

#include <catch2/catch.hpp>

#include "services/delivery/billing/test_support.h"

using namespace mpli::delivery::billing;
using namespace mpli::delivery::billing::test;
using mpli::StatusCode;

namespace {

// Milliseconds since the epoch of a time given as an offset into a month.
std::int64_t at(const std::string& name, std::int64_t offset_ms) {
  return month(name).start_unix_ms + offset_ms;
}

std::string amount(const std::string& price, const std::string& unit, int quantity,
                   std::int64_t seconds) {
  auto result = line_amount(Price{d(price), unit, quantity}, seconds);
  REQUIRE(result.is_ok());
  return result->to_fixed(2);
}

const std::int64_t kFarFuture = month("2100-01").start_unix_ms;

}  // namespace

TEST_CASE("a period is a calendar month in UTC") {
  auto november = month("2026-11");
  CHECK(rfc3339_utc(november.start_unix_ms) == "2026-11-01T00:00:00Z");
  CHECK(rfc3339_utc(november.end_unix_ms) == "2026-12-01T00:00:00Z");
  CHECK(november.end_unix_ms - november.start_unix_ms == 30 * kDay);
  auto december = month("2026-12");
  CHECK(rfc3339_utc(december.end_unix_ms) == "2027-01-01T00:00:00Z");
  CHECK(month("2028-02").end_unix_ms - month("2028-02").start_unix_ms == 29 * kDay);  // leap
  CHECK(month("2100-02").end_unix_ms - month("2100-02").start_unix_ms == 28 * kDay);  // not leap
  CHECK(month("1970-01").start_unix_ms == 0);
  CHECK(rfc3339_utc(at("2026-11", 1234)) == "2026-11-01T00:00:01.234Z");
}

TEST_CASE("a period that is not YYYY-MM is BILL_PERIOD_INVALID naming the field") {
  for (const char* bad : {"", "2026-13", "2026-00", "2026-1", "26-11", "2026/11", "2026-11-01",
                          "202a-11", "1969-12", " 2026-11", "2026-+1", "november"}) {
    auto parsed = parse_period(bad);
    INFO("'" << bad << "'");
    REQUIRE_FALSE(parsed.is_ok());
    CHECK(parsed.status().code() == StatusCode::kInvalidArgument);
    CHECK(parsed.status().detail("reason") == "BILL_PERIOD_INVALID");
    CHECK(parsed.status().detail("domain") == "delivery");
    CHECK(parsed.status().detail("field") == "period");
  }
}

TEST_CASE("only active, modifying and deprovisioning are billable") {
  for (const char* state : {"active", "modifying", "deprovisioning"})
    CHECK(is_billable_state(state));
  for (const char* state :
       {"requested", "accepted", "provisioning", "deleted", "rejected", "failed", ""}) {
    CHECK_FALSE(is_billable_state(state));
  }
}

TEST_CASE("billable time runs from active to deleted within the month") {
  const std::string p = "2026-11";
  std::vector<StateChange> history = {{"requested", at(p, 0)},
                                      {"accepted", at(p, 1000)},
                                      {"provisioning", at(p, 2000)},
                                      {"active", at(p, kDay)},
                                      {"deprovisioning", at(p, 3 * kDay)},
                                      {"deleted", at(p, 3 * kDay + 90'000)}};
  CHECK(billable_seconds(history, month(p), kFarFuture) == 2 * kSecondsPerDay + 90);
  // Deleted mid-month: nothing after, nothing in the next month.
  CHECK(billable_seconds(history, month("2026-12"), kFarFuture) == 0);
  CHECK(billable_seconds(history, month("2026-10"), kFarFuture) == 0);
}

TEST_CASE("an order spanning month boundaries is split at midnight UTC") {
  std::vector<StateChange> history = {{"provisioning", at("2026-10", 30 * kDay)},
                                      {"active", at("2026-10", 30 * kDay + 12 * kHour)},
                                      {"deprovisioning", at("2026-12", 2 * kHour)},
                                      {"deleted", at("2026-12", 3 * kHour)}};
  CHECK(billable_seconds(history, month("2026-10"), kFarFuture) ==
        12 * kSecondsPerHour);  // Oct has 31 days
  CHECK(billable_seconds(history, month("2026-11"), kFarFuture) == 30 * kSecondsPerDay);
  CHECK(billable_seconds(history, month("2026-12"), kFarFuture) == 3 * kSecondsPerHour);
}

TEST_CASE("modify cycles stay billable and a failure ends billing") {
  const std::string p = "2026-11";
  std::vector<StateChange> history = {{"active", at(p, 0)},
                                      {"modifying", at(p, kHour)},
                                      {"active", at(p, 2 * kHour)},
                                      {"modifying", at(p, 3 * kHour)},
                                      {"failed", at(p, 5 * kHour)}};
  CHECK(billable_seconds(history, month(p), kFarFuture) == 5 * kSecondsPerHour);
}

TEST_CASE("a month not yet over counts up to now, and the last state lasts") {
  const std::string p = "2026-11";
  std::vector<StateChange> history = {{"active", at(p, kDay)}};
  CHECK(billable_seconds(history, month(p), at(p, kDay + 1500)) == 1);  // truncated to seconds
  CHECK(billable_seconds(history, month(p), at(p, 0)) == 0);            // now before active
  CHECK(billable_seconds(history, month(p), kFarFuture) == 29 * kSecondsPerDay);
}

TEST_CASE("milliseconds add up across intervals before truncating") {
  const std::string p = "2026-11";
  std::vector<StateChange> history = {{"active", at(p, 0)},
                                      {"provisioning", at(p, 600)},
                                      {"active", at(p, 1000)},
                                      {"deleted", at(p, 1400)}};
  CHECK(billable_seconds(history, month(p), kFarFuture) == 1);  // 600 + 400 ms
}

TEST_CASE("rows stamped out of order add nothing rather than negative time") {
  const std::string p = "2026-11";
  std::vector<StateChange> history = {{"active", at(p, 5000)}, {"deleted", at(p, 3000)}};
  CHECK(billable_seconds(history, month(p), kFarFuture) == 0);
}

TEST_CASE("MON prices are per 730 hours and HUR prices per hour") {
  // A whole 730-hour month of a 49.90 MON offering is exactly its price.
  CHECK(amount("49.90", "MON", 1, 730 * kSecondsPerHour) == "49.90");
  CHECK(amount("49.90", "MON", 1, 30 * kSecondsPerDay) == "49.22");  // 720/730 x 49.90 = 49.216...
  CHECK(amount("49.90", "MON", 3, 730 * kSecondsPerHour) == "149.70");
  CHECK(amount("0.0137", "HUR", 1, 3600) == "0.01");
  CHECK(amount("0.0137", "HUR", 1, 30 * kSecondsPerDay) == "9.86");  // 720 x 0.0137 = 9.864
  CHECK(amount("0.0137", "HUR", 4, 30 * kSecondsPerDay) ==
        "39.46");  // 39.456: one rounding per line
  CHECK(amount("1", "HUR", 1, 1) == "0.00");
  CHECK(amount("1", "HUR", 1, 0) == "0.00");
}

TEST_CASE("line amounts round half-even once") {
  CHECK(amount("0.05", "HUR", 1, 1800) == "0.02");    // 0.025 -> 0.02
  CHECK(amount("0.07", "HUR", 1, 1800) == "0.04");    // 0.035 -> 0.04
  CHECK(amount("0.01", "HUR", 1, 1800) == "0.00");    // 0.005 -> 0.00
  CHECK(amount("0.03", "HUR", 1, 1800) == "0.02");    // 0.015 -> 0.02
  CHECK(amount("0.0125", "HUR", 2, 1800) == "0.01");  // 0.0125 -> 0.01
  // 13,140 s is 1/200 of a 730-hour month: 1 MON x 1 = 0.005 -> 0.00, x 3 = 0.015 -> 0.02.
  CHECK(amount("1", "MON", 1, 13140) == "0.00");
  CHECK(amount("1", "MON", 3, 13140) == "0.02");
  CHECK(amount("1", "MON", 1, 13141) == "0.01");  // just above the tie
}

TEST_CASE("a unit that is not MON or HUR cannot be rated") {
  auto annual = line_amount(Price{d("10"), "ANN", 1}, 100);
  REQUIRE_FALSE(annual.is_ok());
  CHECK(annual.status().code() == StatusCode::kFailedPrecondition);
  CHECK_THAT(annual.status().message(), Catch::Contains("ANN"));
  CHECK_FALSE(line_amount(Price{d("10"), "HUR", 0}, 100).is_ok());
}
