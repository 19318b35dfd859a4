#include "libs/core/sql_identifier.h"

#include <catch2/catch.hpp>

namespace mpli {
namespace {

TEST_CASE("an identifier is quoted whole, its inner quotes doubled") {
  CHECK(quote_identifier("orders") == "\"orders\"");
  CHECK(quote_identifier("Order \"items\".v2") == "\"Order \"\"items\"\".v2\"");
  CHECK(quote_identifier("") == "\"\"");
}

}  // namespace
}  // namespace mpli
