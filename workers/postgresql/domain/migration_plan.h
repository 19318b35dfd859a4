// The PostgreSQL worker's migration decisions, free of any database (docs/migrations.md): what a
// migration's publication, subscription (and its replication slot) and role are called, the
// parameters' forms (mode, LSN, byte counts), the outcome's formats (RFC 3339 times, the
// verification JSON) and which connection failures another attempt cannot fix.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
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

// One table's verification: schema-qualified name, row count, sha256 (hex) of its rows' text.
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
