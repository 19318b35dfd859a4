// JSON Web Keys (RFC 7517/8037) for the key types a PublicKey holds: OKP Ed25519 and EC
// P-256/P-384/P-521, read from untrusted JSON and written as public JWKs.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>

#include "libs/core/status.h"
#include "libs/credentials/public_key.h"

namespace mpli::credentials {

// Bytes of one coordinate (EC x, y, d; ECDSA r, s) or of the Ed25519 public key.
size_t key_coordinate_bytes(KeyType type);

// A public JWK to a key. Refuses a JWK with private members ("d", or RSA's "p"/"q"...) since a
// private key where a public one is expected means someone leaked it (kMalformed), kty "oct"
// and RSA (kUnsupportedAlgorithm), wrong coordinate lengths and points off the curve
// (kMalformed), and an "alg" member that contradicts the key type (kUnsupportedAlgorithm).
Result<PublicKey> public_key_from_jwk(const nlohmann::json& jwk);

// {"kty","crv","x"[,"y"]}: members in RFC 7638 thumbprint order, nothing else.
nlohmann::json public_jwk(const PublicKey& key);

// RFC 7638 JWK thumbprint (SHA-256, base64url).
std::string jwk_thumbprint(const PublicKey& key);

}  // namespace mpli::credentials
