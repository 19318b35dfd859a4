#include "services/gateway/domain/json_body.h"

#include <cctype>

namespace mpli::gateway {

std::string_view trim(std::string_view text) {
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!text.empty() && space(text.front())) text.remove_prefix(1);
  while (!text.empty() && space(text.back())) text.remove_suffix(1);
  return text;
}

std::string lower_case(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

Result<nlohmann::json> parse_object(std::string_view body, const std::string& what) {
  if (trim(body).empty()) return invalid_field("body", "empty; send " + what);
  nlohmann::json parsed = nlohmann::json::parse(body, nullptr, false);
  if (parsed.is_discarded()) return invalid_field("body", "not JSON; send " + what);
  if (!parsed.is_object()) return invalid_field("body", "not a JSON object; send " + what);
  return parsed;
}

Status only_known_members(const nlohmann::json& object, const std::string& prefix,
                          std::initializer_list<std::string_view> known) {
  for (const auto& [key, value] : object.items()) {
    bool listed = false;
    for (std::string_view k : known) listed = listed || key == k;
    if (!listed) {
      std::string names;
      for (std::string_view k : known) names += (names.empty() ? "" : ", ") + std::string(k);
      return invalid_field(prefix + key, "unknown member (known: " + names + ")");
    }
  }
  return Status::ok();
}

std::string range_text(int64_t low, int64_t high) {
  return "must be an integer from " + std::to_string(low) + " to " + std::to_string(high);
}

Result<std::optional<int32_t>> optional_integer(const nlohmann::json& object,
                                                const std::string& key, int64_t low, int64_t high) {
  if (!object.contains(key) || object[key].is_null()) return std::optional<int32_t>();
  const nlohmann::json& value = object[key];
  std::optional<int64_t> n;
  if (value.is_number_unsigned()) {
    uint64_t u = value.get<uint64_t>();
    if (u <= static_cast<uint64_t>(high)) n = static_cast<int64_t>(u);
  } else if (value.is_number_integer()) {
    n = value.get<int64_t>();
  }
  if (!n || *n < low || *n > high) return invalid_field(key, range_text(low, high));
  return std::optional<int32_t>(static_cast<int32_t>(*n));
}

std::string short_media_type(std::string_view media_type) {
  std::string hint = lower_case(trim(media_type));
  if (hint.rfind("application/", 0) == 0) hint.erase(0, std::string_view("application/").size());
  return hint;
}

std::optional<int64_t> integer_between(std::string_view text, int64_t low, int64_t high) {
  if (text.empty() || text.size() > 18) return std::nullopt;  // 18 digits cannot overflow
  int64_t n = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + (c - '0');
  }
  if (n < low || n > high) return std::nullopt;
  return n;
}

}  // namespace mpli::gateway
