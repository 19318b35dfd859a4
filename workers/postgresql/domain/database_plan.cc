#include "workers/postgresql/domain/database_plan.h"

#include <cctype>
#include <charconv>

namespace mpli::pgworker {

Result<std::string> database_name(const std::string& order_id) {
  std::string name = "mpli_";
  bool any = false;
  for (char c : order_id) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x80 && std::isalnum(u) != 0) {
      name += static_cast<char>(std::tolower(u));
      any = true;
    }
  }
  if (!any) return invalid_field("order_id", "has no letter or digit to name a database after");
  if (name.size() > kMaxIdentifierBytes) name.resize(kMaxIdentifierBytes);
  return name;
}

namespace {

// Parameters that ask for a size bound: PostgreSQL has none per database, so the worker says so
// instead of pretending.
bool looks_like_size_quota(const std::string& key) {
  for (const char* word : {"size", "quota", "storage", "disk", "gb", "mb"}) {
    if (key.find(word) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

Result<DatabaseParameters> parse_parameters(const std::map<std::string, std::string>& parameters) {
  DatabaseParameters parsed;
  for (const auto& [key, value] : parameters) {
    if (key == "connection_limit") {
      int limit = 0;
      const char* end = value.data() + value.size();
      auto [ptr, ec] = std::from_chars(value.data(), end, limit);
      if (value.empty() || ec != std::errc() || ptr != end || limit < -1) {
        return invalid_field("connection_limit",
                             "must be an integer >= -1 (-1 = unlimited), not '" + value + "'");
      }
      parsed.connection_limit = limit;
    } else if (key == "dump_path" || key == "sha256") {
      // export/import arguments, read by those operations
    } else if (looks_like_size_quota(key)) {
      parsed.notes.push_back(
          key +
          " not enforced: PostgreSQL has no per-database size limit (only "
          "tablespaces on a sized filesystem, which this worker does not manage)");
    } else {
      parsed.notes.push_back(key + " ignored: the PostgreSQL worker applies only connection_limit");
    }
  }
  return parsed;
}

std::string connection_uri(const std::string& host, int port, const std::string& user,
                           const std::string& password, const std::string& database) {
  std::string shown_host = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return "postgresql://" + user + ":" + password + "@" + shown_host + ":" + std::to_string(port) +
         "/" + database;
}

Result<std::string> dump_file_path(const std::string& dump_dir, const std::string& requested,
                                   const std::string& default_name) {
  std::string name = requested.empty() ? default_name : requested;
  std::string prefix = dump_dir;
  while (prefix.size() > 1 && prefix.back() == '/') prefix.pop_back();
  prefix += "/";
  if (!name.empty() && name.front() == '/') {
    if (name.compare(0, prefix.size(), prefix) != 0) {
      return invalid_field("dump_path", "must be inside " + dump_dir);
    }
    name = name.substr(prefix.size());
  }
  // Segment by segment: no "..", no ".", no empty segment, so the path cannot leave dump_dir.
  std::size_t start = 0;
  while (true) {
    std::size_t slash = name.find('/', start);
    std::string segment = name.substr(start, slash == std::string::npos ? slash : slash - start);
    if (segment.empty() || segment == "." || segment == "..") {
      return invalid_field("dump_path", "must be a file name inside " + dump_dir);
    }
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return prefix + name;
}

bool retryable_sqlstate(const std::string& sqlstate) {
  if (sqlstate.size() != 5) return false;
  std::string cls = sqlstate.substr(0, 2);
  return cls == "08" || cls == "53" || sqlstate == "57P01" || sqlstate == "57P02" ||
         sqlstate == "57P03" || sqlstate == "40001" || sqlstate == "40P01" || sqlstate == "55006" ||
         sqlstate == "55P03";
}

}  // namespace mpli::pgworker
