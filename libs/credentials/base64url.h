// Base64url (RFC 4648 section 5) as JOSE uses it: no padding, strict alphabet. Decoding
// hostile input never throws; a bad character or length is an error that says where.
#pragma once

#include <string>
#include <string_view>

#include "libs/core/status.h"

namespace mpli::credentials {

std::string base64url_encode(std::string_view bytes);

// Refuses '=' padding, characters outside [A-Za-z0-9_-], a length of 1 mod 4 and non-zero
// trailing bits (so every input has exactly one encoding). Errors are kInvalidArgument with
// reason MALFORMED and "column" = the 1-based offending position.
Result<std::string> base64url_decode(std::string_view text);

// Standard base64 (with padding), as X.509 x5c entries are encoded.
Result<std::string> base64_decode(std::string_view text);

}  // namespace mpli::credentials
