#include "libs/credentials/json_document.h"

#include <cmath>
#include <limits>

#include "libs/credentials/refusal.h"

namespace mpli::credentials {
namespace {

// Nesting depth of `text`, ignoring brackets inside strings; stops at the first position that
// goes past `max_depth` and returns it (1-based), or 0 when the text stays within it.
size_t first_position_too_deep(std::string_view text, int max_depth) {
  int depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) return i + 1;
    } else if (c == ']' || c == '}') {
      --depth;  // unbalanced text is the parser's to report
    }
  }
  return 0;
}

}  // namespace

Result<nlohmann::json> parse_json(std::string_view text, const JsonLimits& limits) {
  if (text.size() > limits.max_bytes) {
    return refusal(Refusal::kTooLarge, "JSON text of " + std::to_string(text.size()) +
                                           " bytes is over the limit of " +
                                           std::to_string(limits.max_bytes));
  }
  if (size_t column = first_position_too_deep(text, limits.max_depth); column != 0) {
    return refusal(Refusal::kMalformed,
                   "JSON nests deeper than " + std::to_string(limits.max_depth) + " levels")
        .with_detail("column", std::to_string(column));
  }
  // Exceptions are caught here so the position of a syntax error can be reported.
  try {
    return nlohmann::json::parse(text.begin(), text.end());
  } catch (const nlohmann::json::parse_error& error) {
    return refusal(Refusal::kMalformed, std::string("not JSON: ") + error.what())
        .with_detail("column", std::to_string(error.byte));
  } catch (const std::exception& error) {
    return refusal(Refusal::kMalformed, std::string("not JSON: ") + error.what());
  }
}

Result<nlohmann::json> parse_json_object(std::string_view text, std::string_view what,
                                         const JsonLimits& limits) {
  MPLI_ASSIGN_OR_RETURN(auto value, parse_json(text, limits));
  if (!value.is_object()) {
    return refusal(Refusal::kMalformed, std::string(what) + " is not a JSON object");
  }
  return value;
}

Status malformed_field(std::string_view field, std::string_view problem) {
  return refusal(Refusal::kMalformed, std::string(field) + ": " + std::string(problem))
      .with_detail("field", std::string(field));
}

Result<std::string> string_member(const nlohmann::json& object, std::string_view field) {
  MPLI_ASSIGN_OR_RETURN(auto value, optional_string_member(object, field));
  if (!value) return malformed_field(field, "required string member is missing");
  return *value;
}

Result<std::optional<std::string>> optional_string_member(const nlohmann::json& object,
                                                          std::string_view field) {
  if (!object.is_object()) return malformed_field(field, "container is not an object");
  auto it = object.find(std::string(field));
  if (it == object.end()) return std::optional<std::string>();
  if (!it->is_string()) return malformed_field(field, "is not a string");
  return std::optional<std::string>(it->get<std::string>());
}

Result<int64_t> integer_member(const nlohmann::json& object, std::string_view field) {
  MPLI_ASSIGN_OR_RETURN(auto value, optional_integer_member(object, field));
  if (!value) return malformed_field(field, "required number member is missing");
  return *value;
}

Result<std::optional<int64_t>> optional_integer_member(const nlohmann::json& object,
                                                       std::string_view field) {
  if (!object.is_object()) return malformed_field(field, "container is not an object");
  auto it = object.find(std::string(field));
  if (it == object.end()) return std::optional<int64_t>();
  if (it->is_number_integer()) return std::optional<int64_t>(it->get<int64_t>());
  if (it->is_number_unsigned()) {
    auto value = it->get<uint64_t>();
    if (value > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return malformed_field(field, "number out of range");
    }
    return std::optional<int64_t>(static_cast<int64_t>(value));
  }
  if (it->is_number_float()) {
    // NumericDate may carry a fraction (RFC 7519 section 2); whole seconds are enough here.
    double value = it->get<double>();
    if (!std::isfinite(value) || value < -9.2e18 || value > 9.2e18) {
      return malformed_field(field, "number out of range");
    }
    return std::optional<int64_t>(static_cast<int64_t>(std::floor(value)));
  }
  return malformed_field(field, "is not a number");
}

}  // namespace mpli::credentials
