#include "services/resolver/domain/composer.h"

#include <catch2/catch.hpp>

TEST_CASE("distance value halves at 500 km") {
  CHECK(mpli::resolver::distance_value(500) == 0.5);
  CHECK(mpli::resolver::distance_value(-1) == 0.0);
}
