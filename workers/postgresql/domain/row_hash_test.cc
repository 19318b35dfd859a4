// The in-server row hash's SQL and sums: what two workers must build alike for their checksums
// to compare (the SQL itself runs against real servers in tests/workers/pg_migration_test.cc).
#include "workers/postgresql/domain/row_hash.h"

#include <catch2/catch.hpp>

namespace mpli::pgworker {
namespace {

TEST_CASE("the checksum method is copy-sha256 (also when absent) or row-hash") {
  CHECK(parse_checksum_method("").value() == ChecksumMethod::kCopySha256);
  CHECK(parse_checksum_method("copy-sha256").value() == ChecksumMethod::kCopySha256);
  CHECK(parse_checksum_method("row-hash").value() == ChecksumMethod::kRowHash);
  auto bad = parse_checksum_method("md5");
  REQUIRE_FALSE(bad);
  CHECK(bad.status().message().find("method") != std::string::npos);
  CHECK(std::string(checksum_method_name(ChecksumMethod::kRowHash)) == "row-hash");
}

TEST_CASE("a row hash chains every column by seed and mixes the null mask in last") {
  // int4 NOT NULL, then a nullable text, then a nullable numeric (no native hash: its text).
  std::vector<ColumnToHash> columns = {
      {"id", 23, true}, {"name", 25, false}, {"\"Price\"", 1700, false}};
  CHECK(
      row_hash_expression(columns, "t") ==
      "hashint8extended(CASE WHEN t.name IS NULL THEN 1::bigint ELSE 0 END + CASE WHEN "
      "t.\"Price\" IS NULL THEN 2::bigint ELSE 0 END, hashtextextended(coalesce(t.\"Price\"::text, "
      "''::text) COLLATE \"C\", hashtextextended(coalesce(t.name, ''::text) COLLATE \"C\", "
      "hashint4extended(t.id, 0::bigint))))");
  CHECK(row_hash_expression({}, "t") == "0::bigint");
  CHECK(row_hash_query({{"id", 20, true}}, "public.accounts", " WHERE t.ctid >= '(0,0)'::tid") ==
        "SELECT count(*), sum(hashint8extended(t.id, 0::bigint))::text FROM public.accounts t "
        "WHERE t.ctid >= '(0,0)'::tid");
  // 63 nullable columns: two masks, the second starting again at bit 0.
  std::vector<ColumnToHash> wide(63, ColumnToHash{"c", 23, false});
  std::string expression = row_hash_expression(wide, "t");
  CHECK(expression.rfind("hashint8extended(CASE WHEN t.c IS NULL THEN 1::bigint ELSE 0 END, "
                         "hashint8extended(CASE WHEN t.c IS NULL THEN 1::bigint",
                         0) == 0);
  CHECK(expression.find("THEN 2305843009213693952::bigint") != std::string::npos);  // bit 61
  CHECK(expression.find("4611686018427387904") == std::string::npos);               // no bit 62
}

TEST_CASE("an enum, a date or a timestamptz is hashed as its text, not by oid or time zone") {
  for (std::uint32_t type : {3500u /* anyenum-like: a user enum oid */, 1082u, 1184u, 1186u}) {
    std::string expression = row_hash_expression({{"v", type, true}}, "t");
    CHECK(expression == "hashtextextended(t.v::text COLLATE \"C\", 0::bigint)");
  }
}

TEST_CASE("the probe covers the encoding and every natively hashed type") {
  std::string probe = row_hash_probe_query();
  CHECK(probe.find("current_setting('server_encoding')") != std::string::npos);
  for (const char* function :
       {"hashint2extended", "hashint4extended", "hashint8extended", "hashtextextended",
        "hashbpcharextended", "hashfloat4extended", "hashfloat8extended", "uuid_hash_extended",
        "jsonb_hash_extended", "timestamp_hash_extended"}) {
    CHECK(probe.find(function) != std::string::npos);
  }
}

TEST_CASE("a server's sum of bigints becomes a 128-bit two's complement") {
  auto zero = parse_sum("");
  REQUIRE(zero);
  CHECK(zero->high == 0);
  CHECK(zero->low == 0);
  auto five = parse_sum("5");
  REQUIRE(five);
  CHECK(five->low == 5);
  CHECK(five->high == 0);
  auto minus_one = parse_sum("-1");
  REQUIRE(minus_one);
  CHECK(minus_one->high == ~std::uint64_t{0});
  CHECK(minus_one->low == ~std::uint64_t{0});
  auto big = parse_sum("18446744073709551616");  // 2^64
  REQUIRE(big);
  CHECK(big->high == 1);
  CHECK(big->low == 0);
  CHECK_FALSE(parse_sum("12a"));
  CHECK_FALSE(parse_sum("-"));
  CHECK_FALSE(parse_sum(std::string(39, '9')));
  CHECK(parse_sum("1.5").status().message().find("sum") != std::string::npos);
}

}  // namespace
}  // namespace mpli::pgworker
