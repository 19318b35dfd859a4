#include "services/portability/domain/verification.h"

#include <catch2/catch.hpp>

using namespace mpli;
using namespace mpli::portability;

TEST_CASE("equal tables on both sides verify") {
  const std::string side =
      R"([{"name":"public.orders","rows":3,"checksum":"ab"},{"name":"public.items","rows":"7","checksum":"cd"}])";
  auto result = compare_verification(side, side);
  REQUIRE(result.is_ok());
  CHECK(result->equal);
  REQUIRE(result->tables.size() == 2);
  CHECK(result->tables[0].name() == "public.items");  // by name
  CHECK(result->tables[0].source_rows() == 7);
  CHECK(result->tables[0].target_rows() == 7);
  CHECK(result->tables[1].equal());
  CHECK(result->differences.empty());
}

TEST_CASE("a checksum or row count difference, or a missing table, fails verification") {
  auto checksum = compare_verification(R"([{"name":"t","rows":1,"checksum":"aa"}])",
                                       R"([{"name":"t","rows":1,"checksum":"bb"}])");
  REQUIRE(checksum.is_ok());
  CHECK_FALSE(checksum->equal);
  CHECK_FALSE(checksum->tables[0].equal());
  CHECK(checksum->tables[0].source_checksum() == "aa");
  CHECK(checksum->tables[0].target_checksum() == "bb");
  CHECK(checksum->differences == std::vector<std::string>{"t: the checksums differ"});

  auto rows = compare_verification(R"([{"name":"t","rows":2,"checksum":"aa"}])",
                                   R"([{"name":"t","rows":1,"checksum":"aa"}])");
  REQUIRE(rows.is_ok());
  CHECK_FALSE(rows->equal);
  CHECK(rows->differences[0] == "t: 2 rows at the source, 1 at the target");

  auto missing = compare_verification(R"([{"name":"t","rows":1,"checksum":"aa"}])", "[]");
  REQUIRE(missing.is_ok());
  CHECK_FALSE(missing->equal);
  CHECK(missing->differences[0] == "t is missing at the target");
}

TEST_CASE("nothing to compare, or unreadable output, never verifies") {
  auto empty = compare_verification("[]", "[]");
  REQUIRE(empty.is_ok());
  CHECK_FALSE(empty->equal);
  CHECK(empty->differences == std::vector<std::string>{"neither side reported any table"});
  auto bad = compare_verification("{}", "[]");
  REQUIRE_FALSE(bad.is_ok());
  CHECK(bad.status().code() == StatusCode::kInvalidArgument);
}

TEST_CASE("two empty databases verify as equal when emptiness may verify") {
  auto empty = compare_verification("[]", "[]", EmptySides::kEqual);
  REQUIRE(empty.is_ok());
  CHECK(empty->equal);
  CHECK(empty->tables.empty());
  CHECK(empty->differences.empty());
  // Emptiness on one side only is still a loss.
  auto lost =
      compare_verification(R"([{"name":"t","rows":0,"checksum":"e3"}])", "[]", EmptySides::kEqual);
  REQUIRE(lost.is_ok());
  CHECK_FALSE(lost->equal);
  CHECK(lost->differences[0] == "t is missing at the target");
}
