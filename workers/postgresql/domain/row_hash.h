// The in-server row hash of a migration checksum (docs/migrations.md, "Checksum methods"): each
// row hashed by the server with its columns' own hash functions, chained column by column, and
// summed per table. It reads no row out of the server and converts no value to text where a
// type has a hash function, so it costs about a quarter of the CPU of reading COPY text and
// hashing it in the worker (docs/benchmarks.md, "Portability"). The price: the values are the
// server's own (byte order, database encoding, hash functions of its version), so two servers'
// sums compare only when their probes (row_hash_probe_query) agree; otherwise both sides are
// checksummed as COPY text (RowDigestSum), comparable between any two servers.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "libs/core/status.h"

namespace mpli::pgworker {

enum class ChecksumMethod {
  kCopySha256,  // "copy-sha256": SHA-256 of each row's COPY text line, in the worker
  kRowHash,     // "row-hash": this file's in-server hash
};
// Parameter `method`: "copy-sha256" (also when empty) or "row-hash"; kInvalidArgument otherwise.
Result<ChecksumMethod> parse_checksum_method(const std::string& text);
const char* checksum_method_name(ChecksumMethod method);

// PostgreSQL 11 added the extended (seeded, 64-bit) hash functions this relies on.
inline constexpr int kRowHashMinServerVersion = 110000;

struct ColumnToHash {
  std::string quoted;      // the column, quoted as an identifier
  std::uint32_t type = 0;  // pg_type oid (built-in types are hashed natively, see row_hash.cc)
  bool not_null = false;   // attnotnull: no NULL marker needed
};

// A bigint SQL expression hashing one row of `columns` (in attnum order) read through `alias`:
// each column's hash is seeded by the row's hash so far (one function call a column, and each
// column referenced once, so the expression grows linearly); a NULL is hashed as a stand-in
// value of its type, and the row's null mask (a bit per nullable column, 62 to a mask) is mixed
// in last, which tells a NULL from the stand-in. A type without a native hash is hashed as its
// text (output function, COLLATE "C").
std::string row_hash_expression(const std::vector<ColumnToHash>& columns, const std::string& alias);

// SELECT count(*), sum(<row hash>)::text FROM `quoted_table` alias t `where`.
std::string row_hash_query(const std::vector<ColumnToHash>& columns,
                           const std::string& quoted_table, const std::string& where);

// One text that differs between two servers whose row hashes of the same values differ: the
// database encoding and the row hash of one row holding a sample of every natively hashed type
// and of the text fallback. A single-row, single-column result.
std::string row_hash_probe_query();

// The 128-bit two's complement of a sum() of bigints as PostgreSQL prints it ("-123", "", NULL
// as ""). kInvalidArgument when it is not an integer of at most 38 digits.
struct Int128Parts {
  std::uint64_t high = 0;
  std::uint64_t low = 0;
};
Result<Int128Parts> parse_sum(std::string_view text);

}  // namespace mpli::pgworker
