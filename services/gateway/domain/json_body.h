// Small pieces every JSON request body of the gateway needs: trimming, the body as an object,
// refusing unknown members, and the short form of a credential media type.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "libs/core/status.h"

namespace mpli::gateway {

std::string_view trim(std::string_view text);
std::string lower_case(std::string_view text);

// The body as a JSON object, or a 400 on field "body" saying what to send (`what`).
Result<nlohmann::json> parse_object(std::string_view body, const std::string& what);

// Refuses members outside `known` (named `prefix` + member): a misspelt optional field would
// otherwise be ignored.
Status only_known_members(const nlohmann::json& object, const std::string& prefix,
                          std::initializer_list<std::string_view> known);

// A decimal integer (digits only: no sign, no spaces) from `low` to `high`, or nullopt. For
// query parameters, path segments and headers.
std::optional<int64_t> integer_between(std::string_view text, int64_t low, int64_t high);

// "must be an integer from <low> to <high>": the message of every range refusal.
std::string range_text(int64_t low, int64_t high);

// The integer member `key` of `object` from `low` to `high`; nullopt when absent or null; a
// kInvalidArgument naming `key` when not a JSON integer in range.
Result<std::optional<int32_t>> optional_integer(const nlohmann::json& object,
                                                const std::string& key, int64_t low, int64_t high);

// "application/vc+jwt" and "vc+jwt" name the same thing; trust reads the short form.
std::string short_media_type(std::string_view media_type);

}  // namespace mpli::gateway
