#include "workers/postgresql/domain/migration_plan.h"

#include <openssl/sha.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>

#include "workers/postgresql/domain/database_plan.h"

namespace mpli::pgworker {

Result<MigrationNames> migration_names(const std::string& migration_id) {
  std::string key;
  for (char c : migration_id) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x80 && std::isalnum(u) != 0) key += static_cast<char>(std::tolower(u));
  }
  if (key.empty()) {
    return invalid_field("migration_id", "needs at least one ASCII letter or digit");
  }
  auto name = [&](const std::string& prefix) {
    return (prefix + key).substr(0, kMaxIdentifierBytes);
  };
  return MigrationNames{name("mpli_pub_"), name("mpli_sub_"), name("mpli_mig_")};
}

Result<MigrationMode> parse_mode(const std::string& text) {
  if (text == "online") return MigrationMode::kOnline;
  if (text == "offline") return MigrationMode::kOffline;
  return invalid_field("mode", "must be online or offline, not '" + text + "'");
}

Result<std::uint64_t> parse_lsn(const std::string& field, const std::string& text) {
  auto slash = text.find('/');
  auto hex = [](const std::string& part, std::uint64_t& out) {
    if (part.empty() || part.size() > 8) return false;
    const char* end = part.data() + part.size();
    auto [ptr, ec] = std::from_chars(part.data(), end, out, 16);
    return ec == std::errc() && ptr == end;
  };
  std::uint64_t high = 0;
  std::uint64_t low = 0;
  if (slash == std::string::npos || !hex(text.substr(0, slash), high) ||
      !hex(text.substr(slash + 1), low)) {
    return invalid_field(field, "must be a WAL position like 0/16B3748, not '" + text + "'");
  }
  return (high << 32) | low;
}

Result<std::int64_t> parse_byte_count(const std::string& field, const std::string& text,
                                      std::int64_t fallback) {
  if (text.empty()) return fallback;
  std::int64_t value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end || value < 0) {
    return invalid_field(field, "must be a number of bytes >= 0, not '" + text + "'");
  }
  return value;
}

std::string rfc3339_ms(std::chrono::system_clock::time_point at) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(at.time_since_epoch()).count();
  std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[40];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &utc);
  char millis[8];
  std::snprintf(millis, sizeof millis, ".%03dZ", static_cast<int>(ms % 1000));
  return std::string(text) + millis;
}

void RowDigestSum::add_value(std::uint64_t high, std::uint64_t low) {
  const std::uint64_t sum = low_ + low;
  high_ += high + (sum < low_ ? 1 : 0);  // the carry out of the low half
  low_ = sum;
}

void RowDigestSum::add_row(std::string_view line) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(line.data()), line.size(), digest);
  std::uint64_t high = 0;
  std::uint64_t low = 0;
  for (int i = 0; i < 8; ++i) high = (high << 8) | digest[i];
  for (int i = 8; i < 16; ++i) low = (low << 8) | digest[i];
  add_value(high, low);
  ++rows_;
}

void RowDigestSum::add_rows(std::int64_t rows, std::uint64_t high, std::uint64_t low) {
  add_value(high, low);
  rows_ += rows;
}

void RowDigestSum::add(const RowDigestSum& other) {
  add_value(other.high_, other.low_);
  rows_ += other.rows_;
}

std::string RowDigestSum::hex() const {
  char out[33];
  std::snprintf(out, sizeof(out), "%016llx%016llx", static_cast<unsigned long long>(high_),
                static_cast<unsigned long long>(low_));
  return out;
}

std::vector<ScanRange> scan_ranges(const std::vector<TableToScan>& tables,
                                   std::int64_t blocks_per_range) {
  std::vector<ScanRange> ranges;
  const std::int64_t step = std::max<std::int64_t>(blocks_per_range, 1);
  for (std::size_t i = 0; i < tables.size(); ++i) {
    if (tables[i].partitioned || tables[i].blocks <= step) {
      ranges.push_back({i, ""});
      continue;
    }
    for (std::int64_t from = 0; from < tables[i].blocks; from += step) {
      std::string where = " WHERE t.ctid >= '(" + std::to_string(from) + ",0)'::tid";
      // Open-ended last range: rows in blocks beyond the size read are counted too.
      if (from + step < tables[i].blocks) {
        where += " AND t.ctid < '(" + std::to_string(from + step) + ",0)'::tid";
      }
      ranges.push_back({i, where});
    }
  }
  return ranges;
}

std::string verification_json(std::vector<TableChecksum> tables) {
  std::sort(tables.begin(), tables.end(),
            [](const TableChecksum& a, const TableChecksum& b) { return a.name < b.name; });
  nlohmann::json out = nlohmann::json::array();
  for (const auto& table : tables) {
    out.push_back({{"name", table.name}, {"rows", table.rows}, {"checksum", table.checksum}});
  }
  return out.dump();
}

std::string conninfo(const std::map<std::string, std::string>& keywords) {
  std::string out;
  for (const auto& [key, value] : keywords) {
    if (!out.empty()) out += ' ';
    out += key + "='";
    for (char c : value) {
      if (c == '\'' || c == '\\') out += '\\';
      out += c;
    }
    out += '\'';
  }
  return out;
}

std::vector<std::string> grant_large_objects(const std::vector<std::string>& oids,
                                             const std::string& quoted_role) {
  std::vector<std::string> statements;
  for (std::size_t i = 0; i < oids.size(); ++i) {
    if (i % kLargeObjectsPerGrant == 0) {
      statements.emplace_back("GRANT SELECT ON LARGE OBJECT ");
    } else {
      statements.back() += ", ";
    }
    statements.back() += oids[i];
    if ((i + 1) % kLargeObjectsPerGrant == 0 || i + 1 == oids.size()) {
      statements.back() += " TO " + quoted_role;
    }
  }
  return statements;
}

bool permanent_connection_failure(const std::string& message) {
  for (const char* cause : {"password authentication failed", "no pg_hba.conf entry",
                            "does not exist", "permission denied", "pg_hba.conf rejects",
                            "password is required", "no password supplied"}) {
    if (message.find(cause) != std::string::npos) return true;
  }
  return false;
}

}  // namespace mpli::pgworker
