// The PostgreSQL worker's migration decisions, free of any database (docs/migrations.md): what a
// migration's publication, subscription (and its replication slot) and role are called, the
// parameters' forms (mode, LSN, byte counts), the outcome's formats (RFC 3339 times, the
// verification JSON) and which connection failures another attempt cannot fix.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "libs/core/status.h"

namespace mpli::pgworker {

// One migration's objects. The same migration id always names the same objects on both sides, so
// a re-delivered item (or the other side's cleanup) finds what an earlier attempt made.
struct MigrationNames {
  std::string publication;   // on the source, in the consumer's database
  std::string subscription;  // on the target; also the replication slot's name on the source
  std::string role;          // on the source: what the target connects as
};

// "mpli_pub_" / "mpli_sub_" / "mpli_mig_" + the id's ASCII letters and digits, lower-cased, at
// most 63 bytes. kInvalidArgument (field migration_id) when the id has no letter or digit.
Result<MigrationNames> migration_names(const std::string& migration_id);

// GRANT SELECT ON LARGE OBJECT statements giving `quoted_role` every one of `oids` (as decimal
// text), at most kLargeObjectsPerGrant a statement: none for none.
constexpr std::size_t kLargeObjectsPerGrant = 1000;
std::vector<std::string> grant_large_objects(const std::vector<std::string>& oids,
                                             const std::string& quoted_role);

enum class MigrationMode { kOnline, kOffline };
// Parameter `mode`: "online" or "offline" (kInvalidArgument naming the field otherwise).
Result<MigrationMode> parse_mode(const std::string& text);

// A pg_lsn "X/Y" (hex halves) as a number, so positions compare. kInvalidArgument naming `field`.
Result<std::uint64_t> parse_lsn(const std::string& field, const std::string& text);

// A byte count parameter: digits only; `fallback` when empty. kInvalidArgument naming `field`.
Result<std::int64_t> parse_byte_count(const std::string& field, const std::string& text,
                                      std::int64_t fallback);

// "2026-12-03T05:54:57.123Z": RFC 3339, milliseconds, UTC.
std::string rfc3339_ms(std::chrono::system_clock::time_point at);

// The content digest of a table, independent of the rows' order: the sum, modulo 2^128, of the
// first 16 bytes of each row's SHA-256 (of its COPY text line, read as a big-endian number).
// A sum rather than one hash of the ordered rows, so that a table is read in block ranges on
// several connections at once, without an ORDER BY, and the ranges' sums add up; equal rows on
// both sides give equal digests whatever their physical order.
class RowDigestSum {
 public:
  void add_row(std::string_view line);
  // A block range summed in the server instead (row_hash.h): its rows and the 128-bit sum of
  // their row hashes. The same modular sum, so ranges add up alike.
  void add_rows(std::int64_t rows, std::uint64_t high, std::uint64_t low);
  void add(const RowDigestSum& other);
  std::int64_t rows() const { return rows_; }
  std::string hex() const;  // 32 hex digits

 private:
  std::uint64_t high_ = 0;
  std::uint64_t low_ = 0;
  std::int64_t rows_ = 0;
  void add_value(std::uint64_t high, std::uint64_t low);
};

// What the checksum reads of one table: the whole of a partitioned table (its partitions' rows
// through it), else the heap in block ranges of `blocks_per_range`, the last one open-ended.
struct TableToScan {
  std::string quoted;  // format('%I.%I')
  std::string name;    // schema.table, as reported
  bool partitioned = false;
  std::int64_t blocks = 0;  // heap size in blocks when the snapshot was taken
};
struct ScanRange {
  std::size_t table = 0;  // index into the tables
  std::string where;      // " WHERE t.ctid ..." (the table aliased t), or "" for all of it
};
std::vector<ScanRange> scan_ranges(const std::vector<TableToScan>& tables,
                                   std::int64_t blocks_per_range);

// One table's verification: schema-qualified name, row count, RowDigestSum::hex of its rows.
struct TableChecksum {
  std::string name;
  std::int64_t rows = 0;
  std::string checksum;
};
// The output `verification`: a JSON array of {"name","rows","checksum"} sorted by name.
std::string verification_json(std::vector<TableChecksum> tables);

// A libpq connection string from keywords and values, each value single-quoted and escaped, so a
// password with spaces or quotes cannot inject another keyword.
std::string conninfo(const std::map<std::string, std::string>& keywords);

// True when a failure to connect is one another attempt with the same credentials cannot fix: a
// wrong password, a refused pg_hba entry, a role or database that does not exist.
bool permanent_connection_failure(const std::string& message);

}  // namespace mpli::pgworker
