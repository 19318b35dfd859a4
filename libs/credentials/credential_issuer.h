// Issuing a W3C VC 2.0 credential as vc+jwt with a SigningKey: the hub's own labels, the local
// federation's demo credentials, benchmarks and tests all sign through this one function.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "libs/core/status.h"
#include "libs/credentials/jws.h"

namespace mpli::credentials {

// Sets `issuer`, the VC 2.0 @context and type when absent, and validFrom = `now` when absent,
// then signs the credential as the claims set of a JWS with typ "vc+jwt" and `kid`. A
// credential that is not an object, or names another issuer, is kInvalidArgument.
Result<std::string> issue_vc_jwt(const SigningKey& key, const std::string& issuer,
                                 const std::string& kid, nlohmann::json credential, int64_t now);

// "2026-12-01T23:45:17Z" for Unix seconds.
std::string xml_datetime(int64_t unix_seconds);

}  // namespace mpli::credentials
