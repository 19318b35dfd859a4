// The jsonb columns of delivery's tables (string maps) and their RFC 3339 timestamps: shared by
// the order and task stores.
#pragma once

#include <google/protobuf/map.h>

#include <nlohmann/json.hpp>
#include <string>

namespace mpli::delivery {

inline std::string json_of(const google::protobuf::Map<std::string, std::string>& map) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [key, value] : map) out[key] = value;
  return out.dump();
}

// A jsonb object's text into `map` (a non-string value as its JSON text).
inline void fill_map(const std::string& json,
                     google::protobuf::Map<std::string, std::string>* map) {
  auto parsed = nlohmann::json::parse(json, nullptr, false);
  if (!parsed.is_object()) return;
  for (auto it = parsed.begin(); it != parsed.end(); ++it) {
    (*map)[it.key()] = it.value().is_string() ? it.value().get<std::string>() : it.value().dump();
  }
}

}  // namespace mpli::delivery

// A timestamptz column as "2026-11-02T09:00:00.000Z" (UTC, milliseconds).
#define MPLI_RFC3339(column) \
  "to_char(" column " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
