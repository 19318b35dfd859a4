// JSON Canonicalization Scheme (RFC 8785): the one byte string a JSON value signs as, used by
// the eddsa-jcs-2022 Data Integrity suite. Members sorted by UTF-16 code units, ES6 numbers.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "libs/core/status.h"

namespace mpli::credentials {

// kMalformed for a number JCS cannot represent (NaN, infinity: not JSON anyway).
Result<std::string> canonicalize_json(const nlohmann::json& value);

}  // namespace mpli::credentials
