// Parsing untrusted JSON (token headers, claims, disclosures, DID documents) with limits:
// a byte cap and a nesting cap checked before nlohmann sees the text, and no exception escapes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "libs/core/status.h"

namespace mpli::credentials {

struct JsonLimits {
  size_t max_bytes = size_t{256} * 1024;
  // nlohmann parses recursively: the depth is checked by a scan first, so a hostile
  // "[[[[..." cannot exhaust the stack.
  int max_depth = 64;
};

// Any JSON value. Errors are refusal(kMalformed) with detail "column" (1-based byte offset)
// where the text goes wrong, or kTooLarge over max_bytes.
Result<nlohmann::json> parse_json(std::string_view text, const JsonLimits& limits = {});

// As parse_json, and the value must be an object; `what` names it in messages ("JWS header").
Result<nlohmann::json> parse_json_object(std::string_view text, std::string_view what,
                                         const JsonLimits& limits = {});

// kMalformed naming `field` (detail "field"): a required member missing or of the wrong type.
Status malformed_field(std::string_view field, std::string_view problem);

// Member readers over an object: a missing member is an error for the required forms and
// nullopt for the optional ones; a member of the wrong type is always an error.
Result<std::string> string_member(const nlohmann::json& object, std::string_view field);
Result<std::optional<std::string>> optional_string_member(const nlohmann::json& object,
                                                          std::string_view field);
Result<int64_t> integer_member(const nlohmann::json& object, std::string_view field);
Result<std::optional<int64_t>> optional_integer_member(const nlohmann::json& object,
                                                       std::string_view field);

}  // namespace mpli::credentials
