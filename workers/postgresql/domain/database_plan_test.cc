#include "workers/postgresql/domain/database_plan.h"

#include <catch2/catch.hpp>

namespace mpli::pgworker {
namespace {

TEST_CASE("an order's database is mpli_ and the id's letters and digits in lower case") {
  auto name = database_name("ord_0190F3A2-7B1C-7D00-8000-00000000ABCD");
  REQUIRE(name.is_ok());
  CHECK(*name == "mpli_ord0190f3a27b1c7d00800000000000abcd");
  CHECK(*database_name("ord_0190F3A2-7B1C-7D00-8000-00000000ABCD") == *name);
}

TEST_CASE("a name never exceeds PostgreSQL's 63-byte identifiers") {
  auto name = database_name(std::string(200, 'a'));
  REQUIRE(name.is_ok());
  CHECK(name->size() == kMaxIdentifierBytes);
}

TEST_CASE("an order id without a letter or digit names nothing") {
  auto name = database_name("--__--");
  REQUIRE_FALSE(name.is_ok());
  CHECK(name.status().code() == StatusCode::kInvalidArgument);
  // Non-ASCII letters are not taken: identifiers stay plain ASCII.
  CHECK_FALSE(database_name("\xc3\xa9\xc3\xa9").is_ok());
}

TEST_CASE("connection_limit is an integer of at least -1, unlimited when absent") {
  CHECK(parse_parameters({})->connection_limit == -1);
  CHECK(parse_parameters({{"connection_limit", "7"}})->connection_limit == 7);
  CHECK(parse_parameters({{"connection_limit", "-1"}})->connection_limit == -1);
  for (const char* bad : {"", "-2", "seven", "7 ", "1e3", "99999999999"}) {
    auto parsed = parse_parameters({{"connection_limit", bad}});
    REQUIRE_FALSE(parsed.is_ok());
    CHECK(parsed.status().detail("field") == "connection_limit");
  }
}

TEST_CASE("a size quota is named as not enforceable, other parameters as ignored") {
  auto parsed = parse_parameters({{"max_size_gb", "10"}, {"colour", "blue"}, {"dump_path", "x"}});
  REQUIRE(parsed.is_ok());
  REQUIRE(parsed->notes.size() == 2);
  CHECK(parsed->notes[0].find("colour ignored") == 0);
  CHECK(parsed->notes[1].find("max_size_gb not enforced: PostgreSQL has no per-database size") ==
        0);
}

TEST_CASE("the connection URI brackets an IPv6 host") {
  CHECK(connection_uri("db.example", 5432, "u", "p", "d") == "postgresql://u:p@db.example:5432/d");
  CHECK(connection_uri("::1", 6543, "u", "p", "d") == "postgresql://u:p@[::1]:6543/d");
}

TEST_CASE("a dump path stays inside the dump directory") {
  CHECK(*dump_file_path("/var/dumps", "", "a.dump") == "/var/dumps/a.dump");
  CHECK(*dump_file_path("/var/dumps/", "x/b.dump", "a.dump") == "/var/dumps/x/b.dump");
  CHECK(*dump_file_path("/var/dumps", "/var/dumps/c.dump", "") == "/var/dumps/c.dump");
  for (const char* escape : {"../etc/passwd", "/etc/passwd", "/var/dumpsX/a", "a/../../b", "a//b",
                             "./a", "a/", "/var/dumps/"}) {
    auto path = dump_file_path("/var/dumps", escape, "a.dump");
    INFO(escape);
    REQUIRE_FALSE(path.is_ok());
    CHECK(path.status().detail("field") == "dump_path");
  }
  CHECK_FALSE(dump_file_path("/var/dumps", "", "").is_ok());
}

TEST_CASE("only transient server errors are worth another attempt") {
  for (const char* state :
       {"08006", "08001", "57P01", "57P03", "53300", "40001", "40P01", "55006", "55P03"}) {
    INFO(state);
    CHECK(retryable_sqlstate(state));
  }
  for (const char* state : {"42501", "42P04", "2BP01", "22023", "", "0800"}) {
    INFO(state);
    CHECK_FALSE(retryable_sqlstate(state));
  }
}

}  // namespace
}  // namespace mpli::pgworker
