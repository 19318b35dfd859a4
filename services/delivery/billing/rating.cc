#include "services/delivery/billing/rating.h"

#include <algorithm>
#include <cstdio>

namespace mpli::delivery::billing {

namespace {

constexpr std::int64_t kMillisPerDay = 86'400'000;

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil), so the
// period bounds need neither timegm nor the process's time zone.
std::int64_t days_from_civil(std::int64_t year, unsigned month, unsigned day) {
  year -= month <= 2 ? 1 : 0;
  const std::int64_t era = (year >= 0 ? year : year - 399) / 400;
  const auto year_of_era = static_cast<unsigned>(year - era * 400);
  const unsigned day_of_year = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
  const unsigned day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + static_cast<std::int64_t>(day_of_era) - 719468;
}

Status period_invalid(std::string_view text, const std::string& why) {
  std::string shown(text.substr(0, 20));
  return delivery_error(StatusCode::kInvalidArgument, "BILL_PERIOD_INVALID",
                        "period: '" + shown + "' " + why + " (expected YYYY-MM, e.g. 2026-11)",
                        {{"field", "period"}});
}

bool all_digits(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

Status delivery_error(StatusCode code, std::string_view reason, std::string message,
                      std::map<std::string, std::string> details) {
  details["reason"] = std::string(reason);
  details["domain"] = "delivery";
  return Status(code, std::move(message), std::move(details));
}

Result<Period> parse_period(std::string_view text) {
  if (text.size() != 7 || text[4] != '-' || !all_digits(text.substr(0, 4)) ||
      !all_digits(text.substr(5, 2))) {
    return period_invalid(text, "is not a month");
  }
  int year = std::stoi(std::string(text.substr(0, 4)));
  int month = std::stoi(std::string(text.substr(5, 2)));
  if (month < 1 || month > 12) return period_invalid(text, "has no such month");
  if (year < 1970) return period_invalid(text, "is before 1970");
  Period period;
  period.name = std::string(text);
  period.start_unix_ms = days_from_civil(year, static_cast<unsigned>(month), 1) * kMillisPerDay;
  int next_year = month == 12 ? year + 1 : year;
  unsigned next_month = month == 12 ? 1 : static_cast<unsigned>(month) + 1;
  period.end_unix_ms = days_from_civil(next_year, next_month, 1) * kMillisPerDay;
  return period;
}

std::string rfc3339_utc(std::int64_t unix_ms) {
  std::int64_t days = unix_ms / kMillisPerDay;
  std::int64_t in_day = unix_ms % kMillisPerDay;
  if (in_day < 0) {
    in_day += kMillisPerDay;
    --days;
  }
  // civil_from_days (H. Hinnant), the inverse of days_from_civil.
  std::int64_t z = days + 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto day_of_era = static_cast<unsigned>(z - era * 146097);
  const unsigned year_of_era =
      (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  const unsigned day_of_year =
      day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  const unsigned mp = (5 * day_of_year + 2) / 153;
  const unsigned day = day_of_year - (153 * mp + 2) / 5 + 1;
  const unsigned month = mp < 10 ? mp + 3 : mp - 9;
  const std::int64_t year =
      static_cast<std::int64_t>(year_of_era) + era * 400 + (month <= 2 ? 1 : 0);
  const auto seconds = in_day / 1000;
  const auto millis = in_day % 1000;
  char text[40];
  if (millis == 0) {
    std::snprintf(text, sizeof text, "%04lld-%02u-%02uT%02lld:%02lld:%02lldZ",
                  static_cast<long long>(year), month, day, static_cast<long long>(seconds / 3600),
                  static_cast<long long>(seconds / 60 % 60), static_cast<long long>(seconds % 60));
  } else {
    std::snprintf(text, sizeof text, "%04lld-%02u-%02uT%02lld:%02lld:%02lld.%03lldZ",
                  static_cast<long long>(year), month, day, static_cast<long long>(seconds / 3600),
                  static_cast<long long>(seconds / 60 % 60), static_cast<long long>(seconds % 60),
                  static_cast<long long>(millis));
  }
  return text;
}

bool is_billable_state(std::string_view state) {
  return state == "active" || state == "modifying" || state == "deprovisioning";
}

std::int64_t billable_seconds(const std::vector<StateChange>& history, const Period& period,
                              std::int64_t now_unix_ms) {
  const std::int64_t window_end = std::min(period.end_unix_ms, now_unix_ms);
  std::int64_t millis = 0;
  for (size_t i = 0; i < history.size(); ++i) {
    if (!is_billable_state(history[i].to_state)) continue;
    std::int64_t from = std::max(history[i].at_unix_ms, period.start_unix_ms);
    std::int64_t to =
        i + 1 < history.size() ? std::min(history[i + 1].at_unix_ms, window_end) : window_end;
    // A later row stamped earlier than this one (clock steps) adds nothing rather than less.
    if (to > from) millis += to - from;
  }
  return millis / 1000;
}

Result<Decimal> line_amount(const Price& price, std::int64_t seconds) {
  std::int64_t seconds_per_unit = 0;
  if (price.unit == "MON") {
    seconds_per_unit = kHoursPerMonth * kSecondsPerHour;
  } else if (price.unit == "HUR") {
    seconds_per_unit = kSecondsPerHour;
  } else {
    return failed_precondition("price unit '" + price.unit + "' cannot be rated (MON or HUR)");
  }
  if (price.quantity < 1) {
    return failed_precondition("quantity " + std::to_string(price.quantity) + " is below 1");
  }
  // One exact product, one division, one rounding: nothing is rounded twice.
  MPLI_ASSIGN_OR_RETURN(Decimal per_quantity, price.amount.multiply(price.quantity));
  MPLI_ASSIGN_OR_RETURN(Decimal used, per_quantity.multiply(seconds));
  return used.divide(seconds_per_unit, 2);
}

}  // namespace mpli::delivery::billing
