#include "services/discovery/domain/price.h"

namespace mpli::discovery {

std::optional<double> monthly_price(double amount, const std::string& unit_code) {
  if (unit_code == "MON") return amount;
  if (unit_code == "HUR") return amount * kHoursPerMonth;
  return std::nullopt;
}

}  // namespace mpli::discovery
