// The offline copy's statements: what the source sends is exactly what the target reads.
#include "workers/postgresql/domain/table_copy.h"

#include <catch2/catch.hpp>

namespace mpli::pgworker {
namespace {

TEST_CASE("a table copies column by column, binary or text, frozen at the target") {
  TableCopy table{"shop", "Orders", {"id", "\"Note\""}, true};
  CHECK(quoted_table(table) == "\"shop\".\"Orders\"");
  CHECK(copy_out_sql(table) == "COPY \"shop\".\"Orders\" (id, \"Note\") TO STDOUT (FORMAT binary)");
  CHECK(copy_in_sql(table) ==
        "COPY \"shop\".\"Orders\" (id, \"Note\") FROM STDIN (FORMAT binary, FREEZE)");
  table.binary = false;
  CHECK(copy_in_sql(table) ==
        "COPY \"shop\".\"Orders\" (id, \"Note\") FROM STDIN (FORMAT text, FREEZE)");
  // No column (a table can have none): no list at all, which COPY accepts.
  CHECK(copy_out_sql({"public", "empty", {}, false}) ==
        "COPY \"public\".\"empty\" TO STDOUT (FORMAT text)");
}

TEST_CASE("a quote in a name is doubled, so the name (and the pg_dump pattern) stays one") {
  CHECK(quoted_table({"we\"ird", "a.b*", {}, false}) == "\"we\"\"ird\".\"a.b*\"");
}

TEST_CASE("binary only within one major version") {
  CHECK(same_major_version(150004, 150010));
  CHECK_FALSE(same_major_version(150004, 160001));
  CHECK(same_major_version(90605, 90624));
  CHECK_FALSE(same_major_version(90605, 90500));
}

}  // namespace
}  // namespace mpli::pgworker
