// Prices compared on one scale: per month. docs/manifests.md defines the units a manifest may
// use (schema:unitCode "MON" and "HUR") and counts 730 hours in a month.
#pragma once

#include <optional>
#include <string>

namespace mpli::discovery {

inline constexpr double kHoursPerMonth = 730;

// `amount` per `unit_code` as a monthly price; nullopt for a unit without a monthly equivalent
// (such an offering never passes a max_price filter rather than passing every one).
std::optional<double> monthly_price(double amount, const std::string& unit_code);

}  // namespace mpli::discovery
