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
  bool collatable;     // hashed under COLLATE "C": bytes, whatever the column's collation
  const char* sample;  // for the probe: a value of the type, as a SQL literal
};
constexpr std::array<NativeHash, 11> kNativeHashes{{
    {21, "hashint2extended", false, "'-12'::int2"},
    {23, "hashint4extended", false, "'1234567'::int4"},
    {20, "hashint8extended", false, "'-9876543210'::int8"},
    {25, "hashtextextended", true, "'déjà vu'::text"},
    {1043, "hashtextextended", true, "'quatre-vingts'::varchar"},
    {1042, "hashbpcharextended", true, "'padded  '::char(12)"},
    {700, "hashfloat4extended", false, "'1.5'::float4"},
    {701, "hashfloat8extended", false, "'-2.25e-300'::float8"},
    {2950, "uuid_hash_extended", false, "'6ba7b810-9dad-11d1-80b4-00c04fd430c8'::uuid"},
    {3802, "jsonb_hash_extended", false, R"('{"a": [1, "b", null]}'::jsonb)"},
    {1114, "timestamp_hash_extended", false, "'2026-12-05 01:02:03.456789'::timestamp"},
}};

// GCC's and Clang's 128-bit integer (-Wpedantic wants it marked as an extension).
__extension__ using Uint128 = unsigned __int128;

const NativeHash* native_hash(std::uint32_t type) {
  for (const auto& native : kNativeHashes) {
    if (native.type == type) return &native;
  }
  return nullptr;
}

std::string column_hash(const ColumnToHash& column, const std::string& alias,
                        const std::string& seed) {
  const std::string value = alias + "." + column.quoted;
  if (const NativeHash* native = native_hash(column.type)) {
    return std::string(native->function) + "(" + value +
           (native->collatable ? " COLLATE \"C\"" : "") + ", " + seed + ")";
  }
  return "hashtextextended(" + value + "::text COLLATE \"C\", " + seed + ")";
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
  for (std::size_t i = 0; i < columns.size(); ++i) {
    if (columns[i].not_null) {
      row = column_hash(columns[i], alias, row);
      continue;
    }
    const std::string position = std::to_string(i + 1);
    row = "hashint8extended(coalesce(" + column_hash(columns[i], alias, position) + ", -" +
          position + "::bigint), " + row + ")";
  }
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
