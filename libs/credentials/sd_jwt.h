// SD-JWT (RFC 9901) and SD-JWT VC: splitting a presentation, checking each disclosure against
// the digests the issuer signed, rebuilding the disclosed claims, and key binding (KB-JWT).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "libs/core/status.h"
#include "libs/credentials/jws.h"

namespace mpli::credentials {

struct SdJwt {
  std::string issuer_jwt;                // the issuer-signed compact JWS
  std::vector<std::string> disclosures;  // base64url disclosures, in presentation order
  std::string key_binding_jwt;           // "" when the presentation has none
  // Everything up to and including the last '~': what a KB-JWT's sd_hash covers.
  std::string presentation_without_kb;
};

// True when `token` has the SD-JWT shape (a '~' after the issuer JWT).
bool looks_like_sd_jwt(std::string_view token);

// `<issuer-jwt>~<disclosure>~...~[<kb-jwt>]`. kTooLarge over max_token_bytes; kMalformed when
// there is no '~' or the issuer JWT is empty; kBadDisclosure for an empty disclosure.
Result<SdJwt> split_sd_jwt(std::string_view token, size_t max_token_bytes = kDefaultMaxTokenBytes);

// base64url(SHA-256(ascii disclosure)): the digest the issuer put in `_sd` or `{"...": d}`.
std::string disclosure_digest(std::string_view disclosure);

// The claims with every disclosed value put in place of its digest and `_sd`, `_sd_alg` and
// undisclosed array placeholders removed. kBadDisclosure: a disclosure that is not a
// base64url JSON array of [salt, name, value] (objects) or [salt, value] (array elements), a
// disclosure no digest references (or of the wrong kind for where it is referenced), a digest
// referenced twice, a name that is `_sd` or `...`, or one that already exists in its object.
// kUnsupportedAlgorithm when `_sd_alg` is present and not "sha-256".
Result<nlohmann::json> reconstruct_claims(const nlohmann::json& signed_claims,
                                          const std::vector<std::string>& disclosures);

struct KeyBindingExpectation {
  std::string nonce;     // required equal when not ""
  std::string audience;  // required equal (aud string, or a member of aud array) when not ""
  int64_t now = 0;       // Unix seconds
  int64_t clock_skew = 60;
  int64_t max_age = 300;  // how old (by iat) a KB-JWT may be
};

// Verifies the KB-JWT with the key in the issuer's `cnf.jwk` (typ must be "kb+jwt") and checks
// nonce, aud, iat (not after now + skew, not before now - max_age - skew) and sd_hash. Every
// failure is kBadKeyBinding, including a missing KB-JWT or cnf.
Status verify_key_binding(const SdJwt& sd_jwt, const nlohmann::json& issuer_claims,
                          const KeyBindingExpectation& expectation,
                          size_t max_token_bytes = kDefaultMaxTokenBytes);

}  // namespace mpli::credentials
