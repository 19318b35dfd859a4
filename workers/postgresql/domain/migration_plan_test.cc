// The migration's names, parameters and formats: what both sides must agree on without talking.
#include "workers/postgresql/domain/migration_plan.h"

#include <catch2/catch.hpp>

namespace mpli::pgworker {
namespace {

TEST_CASE("a migration id names the same publication, subscription and role every time") {
  auto names = migration_names("mig_01ABC-def");
  REQUIRE(names);
  CHECK(names->publication == "mpli_pub_mig01abcdef");
  CHECK(names->subscription == "mpli_sub_mig01abcdef");
  CHECK(names->role == "mpli_mig_mig01abcdef");
  auto long_names = migration_names(std::string(100, 'a'));
  REQUIRE(long_names);
  CHECK(long_names->role.size() == 63);
  CHECK(migration_names("--").status().message().find("migration_id") != std::string::npos);
}

TEST_CASE("mode is online or offline, nothing else") {
  CHECK(parse_mode("online").value() == MigrationMode::kOnline);
  CHECK(parse_mode("offline").value() == MigrationMode::kOffline);
  auto bad = parse_mode("Online");
  REQUIRE_FALSE(bad);
  CHECK(bad.status().message().find("mode") != std::string::npos);
}

TEST_CASE("WAL positions compare as numbers") {
  CHECK(parse_lsn("lsn", "0/16B3748").value() == 0x16B3748u);
  CHECK(parse_lsn("lsn", "1/0").value() > parse_lsn("lsn", "0/FFFFFFFF").value());
  CHECK_FALSE(parse_lsn("lsn", "16B3748"));
  CHECK_FALSE(parse_lsn("lsn", "0/xyz"));
  CHECK_FALSE(parse_lsn("lsn", "0/"));
}

TEST_CASE("byte counts are digits, absent is the default") {
  CHECK(parse_byte_count("max_lag_bytes", "", 7).value() == 7);
  CHECK(parse_byte_count("max_lag_bytes", "1024", 7).value() == 1024);
  CHECK_FALSE(parse_byte_count("max_lag_bytes", "-1", 7));
  CHECK_FALSE(parse_byte_count("max_lag_bytes", "1k", 7));
}

TEST_CASE("frozen_at is RFC 3339 with milliseconds in UTC") {
  std::chrono::system_clock::time_point at{std::chrono::milliseconds(1764741297123)};
  CHECK(rfc3339_ms(at) == "2025-12-03T05:54:57.123Z");
}

TEST_CASE("verification is a JSON array sorted by table name") {
  std::string json = verification_json({{"public.b", 2, "bb"}, {"public.a", 1, "aa"}});
  CHECK(
      json ==
      R"([{"checksum":"aa","name":"public.a","rows":1},{"checksum":"bb","name":"public.b","rows":2}])");
  CHECK(verification_json({}) == "[]");
}

TEST_CASE("a table's digest does not depend on the rows' order, and adds up over ranges") {
  RowDigestSum forward;
  for (const char* row : {"1\talice", "2\tbob", "3\tcarol"}) forward.add_row(row);
  RowDigestSum backward;
  for (const char* row : {"3\tcarol", "2\tbob", "1\talice"}) backward.add_row(row);
  CHECK(forward.hex() == backward.hex());
  CHECK(forward.rows() == 3);
  CHECK(forward.hex().size() == 32);

  RowDigestSum first;
  first.add_row("1\talice");
  RowDigestSum rest;
  rest.add_row("2\tbob");
  rest.add_row("3\tcarol");
  first.add(rest);
  CHECK(first.hex() == forward.hex());
  CHECK(first.rows() == 3);

  RowDigestSum changed;
  for (const char* row : {"1\talice", "2\tbob", "3\tcaro1"}) changed.add_row(row);
  CHECK(changed.hex() != forward.hex());
  RowDigestSum missing;
  for (const char* row : {"1\talice", "2\tbob"}) missing.add_row(row);
  CHECK(missing.hex() != forward.hex());
  RowDigestSum doubled;
  for (const char* row : {"1\talice", "2\tbob", "2\tbob"}) doubled.add_row(row);
  CHECK(doubled.hex() != forward.hex());
  CHECK(RowDigestSum().hex() == std::string(32, '0'));
}

TEST_CASE("a table is read in block ranges (the last open-ended), a partitioned one whole") {
  std::vector<TableToScan> tables = {{"public.big", "public.big", false, 25},
                                     {"public.small", "public.small", false, 3},
                                     {"public.parted", "public.parted", true, 0}};
  auto ranges = scan_ranges(tables, 10);
  REQUIRE(ranges.size() == 5);
  CHECK(ranges[0].table == 0);
  CHECK(ranges[0].where == " WHERE t.ctid >= '(0,0)'::tid AND t.ctid < '(10,0)'::tid");
  CHECK(ranges[1].where == " WHERE t.ctid >= '(10,0)'::tid AND t.ctid < '(20,0)'::tid");
  CHECK(ranges[2].where == " WHERE t.ctid >= '(20,0)'::tid");
  CHECK(ranges[3].table == 1);
  CHECK(ranges[3].where.empty());
  CHECK(ranges[4].table == 2);
  CHECK(ranges[4].where.empty());
  CHECK(scan_ranges({}, 10).empty());
}

TEST_CASE("connection strings quote every value") {
  CHECK(conninfo({{"host", "h"}, {"password", "a b'c\\"}}) == R"(host='h' password='a b\'c\\')");
}

TEST_CASE("the migration role is granted every large object, a thousand a statement") {
  CHECK(grant_large_objects({}, "\"r\"").empty());
  CHECK(grant_large_objects({"16401", "16402"}, "\"r\"") ==
        std::vector<std::string>{"GRANT SELECT ON LARGE OBJECT 16401, 16402 TO \"r\""});
  std::vector<std::string> many;
  for (int i = 0; i < 2001; ++i) many.push_back(std::to_string(100000 + i));
  auto statements = grant_large_objects(many, "\"r\"");
  REQUIRE(statements.size() == 3);
  CHECK(statements[0].rfind("GRANT SELECT ON LARGE OBJECT 100000, 100001, ", 0) == 0);
  CHECK(statements[0].find(", 100999 TO \"r\"") != std::string::npos);
  CHECK(statements[1].rfind("GRANT SELECT ON LARGE OBJECT 101000, ", 0) == 0);
  CHECK(statements[2] == "GRANT SELECT ON LARGE OBJECT 102000 TO \"r\"");
}

TEST_CASE("a wrong password is not worth another attempt, a refused connection is") {
  CHECK(permanent_connection_failure(
      "FATAL:  password authentication failed for user \"mpli_mig_x\""));
  CHECK_FALSE(permanent_connection_failure("connection refused"));
}

}  // namespace
}  // namespace mpli::pgworker
