#include "services/portability/domain/verification.h"

#include <map>
#include <nlohmann/json.hpp>

namespace mpli::portability {

namespace {

struct Side {
  int64_t rows = 0;
  std::string checksum;
};

Result<std::map<std::string, Side>> parse_side(const std::string& json, const std::string& side) {
  auto parsed = nlohmann::json::parse(json, nullptr, false);
  if (!parsed.is_array()) {
    return invalid_argument(side + " verification: not a JSON array of {name, rows, checksum}");
  }
  std::map<std::string, Side> out;
  for (const auto& entry : parsed) {
    if (!entry.is_object() || !entry.contains("name") || !entry["name"].is_string()) {
      return invalid_argument(side + " verification: an entry without a name");
    }
    Side value;
    if (entry.contains("rows")) {
      const auto& rows = entry["rows"];
      if (rows.is_number_integer()) {
        value.rows = rows.get<int64_t>();
      } else if (rows.is_string()) {
        try {
          value.rows = std::stoll(rows.get<std::string>());
        } catch (const std::exception&) {
          return invalid_argument(side + " verification: rows of " +
                                  entry["name"].get<std::string>() + " is not a number");
        }
      }
    }
    if (entry.contains("checksum") && entry["checksum"].is_string()) {
      value.checksum = entry["checksum"].get<std::string>();
    }
    out[entry["name"].get<std::string>()] = value;
  }
  return out;
}

}  // namespace

Result<VerificationResult> compare_verification(const std::string& source_json,
                                                const std::string& target_json, EmptySides empty) {
  MPLI_ASSIGN_OR_RETURN(auto source, parse_side(source_json, "source"));
  MPLI_ASSIGN_OR_RETURN(auto target, parse_side(target_json, "target"));
  std::map<std::string, bool> names;
  for (const auto& [name, side] : source) names[name] = true;
  for (const auto& [name, side] : target) names[name] = true;
  VerificationResult result;
  result.equal = !names.empty() || empty == EmptySides::kEqual;
  for (const auto& [name, unused] : names) {
    v1::TableVerification row;
    row.set_name(name);
    auto s = source.find(name);
    auto t = target.find(name);
    if (s != source.end()) {
      row.set_source_rows(s->second.rows);
      row.set_source_checksum(s->second.checksum);
    }
    if (t != target.end()) {
      row.set_target_rows(t->second.rows);
      row.set_target_checksum(t->second.checksum);
    }
    const bool equal = s != source.end() && t != target.end() && s->second.rows == t->second.rows &&
                       s->second.checksum == t->second.checksum && !s->second.checksum.empty();
    row.set_equal(equal);
    if (!equal) {
      result.equal = false;
      if (s == source.end()) {
        result.differences.push_back(name + " is missing at the source");
      } else if (t == target.end()) {
        result.differences.push_back(name + " is missing at the target");
      } else if (s->second.rows != t->second.rows) {
        result.differences.push_back(name + ": " + std::to_string(s->second.rows) +
                                     " rows at the source, " + std::to_string(t->second.rows) +
                                     " at the target");
      } else {
        result.differences.push_back(name + ": the checksums differ");
      }
    }
    result.tables.push_back(std::move(row));
  }
  if (names.empty() && !result.equal) {
    result.differences.emplace_back("neither side reported any table");
  }
  return result;
}

}  // namespace mpli::portability
