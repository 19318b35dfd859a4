#include "workers/postgresql/domain/row_hash.h"

#include <array>

namespace mpli::pgworker {

namespace {

// Built-in types (their oids are fixed in every PostgreSQL) hashed by the function of their
// default hash operator class, support function 2 (seeded). Left out on purpose, hashed as text:
// numeric and interval (their hashes ignore the display scale, '1 day' = '24 hours'),
// timestamptz and date (no callable function of their own type), enums (hashed by oid, which
// differs between databases), and everything else.
struct NativeHash {
  std::uint32_t type;
  const char* function;
  bool collatable;      // hashed under COLLATE "C": bytes, whatever the column's collation
  const char* sample;   // for the probe: a value of the type, as a SQL literal
  const char* null_as;  // what a NULL is hashed as (the NULL itself is in the row's null mask)
};
constexpr std::array<NativeHash, 11> kNativeHashes{{
    {21, "hashint2extended", false, "'-12'::int2", "0::int2"},
    {23, "hashint4extended", false, "'1234567'::int4", "0::int4"},
    {20, "hashint8extended", false, "'-9876543210'::int8", "0::int8"},
    {25, "hashtextextended", true, "'déjà vu'::text", "''::text"},
    {1043, "hashtextextended", true, "'quatre-vingts'::varchar", "''::varchar"},
    {1042, "hashbpcharextended", true, "'padded  '::char(12)", "''::bpchar"},
    {700, "hashfloat4extended", false, "'1.5'::float4", "0::float4"},
    {701, "hashfloat8extended", false, "'-2.25e-300'::float8", "0::float8"},
    {2950, "uuid_hash_extended", false, "'6ba7b810-9dad-11d1-80b4-00c04fd430c8'::uuid",
     "'00000000-0000-0000-0000-000000000000'::uuid"},
    {3802, "jsonb_hash_extended", false, R"('{"a": [1, "b", null]}'::jsonb)", "'null'::jsonb"},
    {1114, "timestamp_hash_extended", false, "'2026-12-05 01:02:03.456789'::timestamp",
     "'epoch'::timestamp"},
}};

// At most this many nullable columns share one null mask (a bigint of one bit each).
constexpr std::size_t kNullMaskBits = 62;

// GCC's and Clang's 128-bit integer (-Wpedantic wants it marked as an extension).
__extension__ using Uint128 = unsigned __int128;

const NativeHash* native_hash(std::uint32_t type) {
  for (const auto& native : kNativeHashes) {
    if (native.type == type) return &native;
  }
  return nullptr;
}

// The column's hash seeded by `seed`; a nullable column's NULL is hashed as a stand-in value
// of its type (the row's null mask tells the two apart).
std::string column_hash(const ColumnToHash& column, const std::string& alias,
                        const std::string& seed) {
  const std::string value = alias + "." + column.quoted;
  if (const NativeHash* native = native_hash(column.type)) {
    const std::string operand =
        column.not_null ? value : "coalesce(" + value + ", " + native->null_as + ")";
    return std::string(native->function) + "(" + operand +
           (native->collatable ? " COLLATE \"C\"" : "") + ", " + seed + ")";
  }
  const std::string text =
      column.not_null ? value + "::text" : "coalesce(" + value + "::text, ''::text)";
  return "hashtextextended(" + text + " COLLATE \"C\", " + seed + ")";
}

}  // namespace

Result<ChecksumMethod> parse_checksum_method(const std::string& text) {
  if (text.empty() || text == "copy-sha256") return ChecksumMethod::kCopySha256;
  if (text == "row-hash") return ChecksumMethod::kRowHash;
  return invalid_field("method", "must be copy-sha256 or row-hash, not '" + text + "'");
}

const char* checksum_method_name(ChecksumMethod method) {
  return method == ChecksumMethod::kRowHash ? "row-hash" : "copy-sha256";
}

std::string row_hash_expression(const std::vector<ColumnToHash>& columns,
                                const std::string& alias) {
  std::string row = "0::bigint";
  std::vector<std::string> masks;  // one "CASE ... + CASE ..." per kNullMaskBits nullable columns
  std::size_t nullable = 0;
  for (const auto& column : columns) {
    row = column_hash(column, alias, row);
    if (column.not_null) continue;
    const std::size_t bit = nullable++ % kNullMaskBits;
    if (bit == 0) masks.emplace_back();
    masks.back() += std::string(bit == 0 ? "" : " + ") + "CASE WHEN " + alias + "." +
                    column.quoted + " IS NULL THEN " + std::to_string(std::uint64_t{1} << bit) +
                    "::bigint ELSE 0 END";
  }
  for (const auto& mask : masks) row = "hashint8extended(" + mask + ", " + row + ")";
  return row;
}

std::string row_hash_query(const std::vector<ColumnToHash>& columns,
                           const std::string& quoted_table, const std::string& where) {
  return "SELECT count(*), sum(" + row_hash_expression(columns, "t") + ")::text FROM " +
         quoted_table + " t" + where;
}

std::string row_hash_probe_query() {
  std::vector<ColumnToHash> columns;
  std::string values;
  std::string names;
  auto add = [&](std::uint32_t type, bool not_null, const std::string& sample) {
    const std::string name = "c" + std::to_string(columns.size());
    columns.push_back({name, type, not_null});
    values += (values.empty() ? "" : ", ") + sample;
    names += (names.empty() ? "" : ", ") + name;
  };
  for (const auto& native : kNativeHashes) add(native.type, true, native.sample);
  add(1700, true, "'1.50'::numeric");  // the text fallback
  add(23, false, "NULL::int4");        // the NULL marker
  add(25, false, "'x'::text");         // a nullable column's mixing
  return "SELECT current_setting('server_encoding') || ':' || (" +
         row_hash_expression(columns, "t") + ")::text FROM (VALUES (" + values + ")) AS t(" +
         names + ")";
}

Result<Int128Parts> parse_sum(std::string_view text) {
  if (text.empty()) return Int128Parts{};
  bool negative = text.front() == '-';
  std::string_view digits = negative ? text.substr(1) : text;
  if (digits.empty() || digits.size() > 38) {
    return invalid_field(
        "sum", "must be an integer of at most 38 digits, not '" + std::string(text) + "'");
  }
  Uint128 value = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') {
      return invalid_field("sum", "must be an integer, not '" + std::string(text) + "'");
    }
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  if (negative) value = ~value + 1;  // two's complement: the sum is kept modulo 2^128
  return Int128Parts{static_cast<std::uint64_t>(value >> 64), static_cast<std::uint64_t>(value)};
}

}  // namespace mpli::pgworker
