// Key-building pieces shared by jwk.cc, jws.cc (private JWKs) and did.cc (multikey points);
// not part of the library's interface.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "libs/core/status.h"
#include "libs/credentials/public_key.h"

namespace mpli::credentials::internal {

// kty/crv (and alg, when present) of a JWK to a key type.
Result<KeyType> curve_of(const nlohmann::json& jwk);
// A base64url member that must decode to exactly `length` bytes.
Result<std::string> fixed_length_member(const nlohmann::json& jwk, std::string_view field,
                                        size_t length);
const char* group_name(KeyType type);
// An EC key from an encoded point (0x04||x||y or compressed) and, optionally, the private
// scalar; the caller owns the returned handle.
Result<EVP_PKEY*> ec_key_from_parts(KeyType type, std::string_view point,
                                    std::string_view private_scalar);
// 0x02/0x03||x: the SEC1 compressed point of an EC key.
std::string compressed_point(const PublicKey& key);

}  // namespace mpli::credentials::internal
