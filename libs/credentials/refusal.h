// Why a credential was refused: one reason per failure a caller (or an issuer debugging its
// credentials) can act on. The names are those of trust.v1.ErrorReason, so the trust service
// passes them through unchanged and the gateway shows them in lower case.
#pragma once

#include <string>
#include <string_view>

#include "libs/core/status.h"

namespace mpli::credentials {

enum class Refusal {
  kMalformed,             // not base64url, not JSON, not a JWS/SD-JWT/COSE structure, bad field
  kTooLarge,              // over the configured token size
  kUnsupportedAlgorithm,  // alg none, HMAC, unknown, or not the one the key allows
  kBadMediaType,          // typ/cty does not fit the format
  kBadSignature,          // the signature does not verify with the issuer's key
  kKeyNotFound,           // the issuer or kid names no usable key
  kKeyUnavailable,        // the key could not be fetched now (did:web down): retry later
  kBadCertificateChain,   // x5c does not chain to a configured root, expired, wrong key usage
  kUntrustedIssuer,       // verifies, but no trust anchor accepts this issuer for this type
  kExpired,               // validUntil/exp in the past (beyond the clock skew)
  kNotYetValid,           // validFrom/nbf/iat in the future (beyond the clock skew)
  kRevoked,               // its status list bit is set
  kStatusUnavailable,     // its status list could not be fetched or verified now: retry later
  kSubjectMismatch,       // about another subject than the claim that points to it
  kBadDisclosure,         // an SD-JWT disclosure is malformed, unreferenced or repeated
  kBadKeyBinding,         // SD-JWT key binding missing, wrong nonce/audience/sd_hash, or stale
  kUnsupportedFormat,     // a media type or credential kind this hub does not verify
};

// "BAD_SIGNATURE": the trust.v1.ErrorReason value name.
std::string_view refusal_name(Refusal refusal);

// A Status with the matching code (kInvalidArgument for most, kTooLarge, kUnavailable for the
// two retryable ones) and details {"reason": refusal_name, "domain": "trust"}.
Status refusal(Refusal refusal, std::string message);

}  // namespace mpli::credentials
