// The offline copy's table statements (docs/migrations.md, "The offline copy"): each ordinary
// table's rows go from a COPY TO STDOUT on the source straight into a COPY FROM STDIN on the
// target, in binary when both servers can read each other's binary form, into a table truncated
// in the same transaction (FREEZE: the rows land frozen, so no later reader of the target, its
// checksum, index builds, the consumer, rewrites a page to set hint bits).
#pragma once

#include <string>
#include <vector>

namespace mpli::pgworker {

struct TableCopy {
  std::string schema;
  std::string name;
  std::vector<std::string> columns;  // quoted, in attnum order; generated columns left out
  bool binary = false;               // COPY (FORMAT binary) on both sides
};

// "schema"."name", every part double-quoted (inner quotes doubled): an identifier for SQL, and
// a pg_dump pattern that matches exactly this table (inside quotes nothing is a wildcard).
std::string quoted_table(const TableCopy& table);

// COPY "s"."t" ("a", "b") TO STDOUT (FORMAT binary|text).
std::string copy_out_sql(const TableCopy& table);
// COPY "s"."t" ("a", "b") FROM STDIN (FORMAT binary|text, FREEZE).
std::string copy_in_sql(const TableCopy& table);

// Binary COPY carries each value in its type's send/receive form, which PostgreSQL keeps within
// a major version: binary only between servers of one major version (server_version_num / 100
// for 10 and later) whose column types all have both functions.
bool same_major_version(int source_version_num, int target_version_num);

}  // namespace mpli::pgworker
