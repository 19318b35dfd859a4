// Shorthands for the billing unit tests: durations in milliseconds, months and decimals from
// text that must parse (a test's own literals, so a failure to parse is a broken test).
#pragma once

#include <cstdint>
#include <string>

#include "services/delivery/billing/rating.h"

namespace mpli::delivery::billing::test {

constexpr std::int64_t kHour = 3'600'000;
constexpr std::int64_t kDay = 24 * kHour;
constexpr std::int64_t kSecondsPerDay = 86'400;

inline Period month(const std::string& name) { return parse_period(name).value(); }
inline Decimal d(const std::string& text) { return Decimal::parse(text).value(); }

}  // namespace mpli::delivery::billing::test
