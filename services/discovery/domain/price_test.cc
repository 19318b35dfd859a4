#include "services/discovery/domain/price.h"

#include <catch2/catch.hpp>

using namespace mpli::discovery;

TEST_CASE("prices compare per month: hourly prices count 730 hours") {
  CHECK(monthly_price(149.0, "MON") == Approx(149.0));
  CHECK(monthly_price(0.129, "HUR") == Approx(94.17));  // Nordwolke's VM L
  CHECK_FALSE(monthly_price(1.0, "DAY").has_value());   // not a unit manifests may use
}
