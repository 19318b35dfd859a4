// What a verification establishes about one credential, whatever its format: who issued it,
// about whom, what it says, when it is valid, where its revocation status lives and which key
// (and, for x5c, which configured root) vouched for it. The trust service turns this into
// verified facts; nothing here is trusted beyond "this issuer signed this".
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace mpli::credentials {

// A Bitstring Status List entry (credentialStatus of type BitstringStatusListEntry).
struct StatusReference {
  std::string list_credential;  // statusListCredential URL
  uint64_t index = 0;           // statusListIndex
  std::string purpose;          // "revocation", "suspension", ...
  int size = 1;                 // statusSize in bits
};

// NOLINTNEXTLINE(bugprone-exception-escape): nlohmann::json members; their moves do not throw
struct VerifiedCredential {
  std::string format;                  // "vc+jwt", "vc+ld+json+jwt", "jwt_vc_json", "dc+sd-jwt",
                                       // "vc+cose"
  std::string id;                      // the credential's id; "" when it has none
  std::string issuer;                  // issuer id: a DID or a URL
  std::vector<std::string> types;      // VC `type` values, or the SD-JWT VC `vct`
  nlohmann::json credential;           // the credential (SD-JWT: with the disclosed claims merged)
  nlohmann::json subject;              // credentialSubject (the first, when it is an array)
  std::string subject_id;              // credentialSubject.id, or `sub`; "" when absent
  std::optional<int64_t> valid_from;   // Unix seconds (validFrom / nbf / iat)
  std::optional<int64_t> valid_until;  // Unix seconds (validUntil / exp)
  std::optional<StatusReference> status;
  std::string algorithm;   // "ES256", "EdDSA", ...
  std::string key_id;      // the verification method that verified it (DID URL or kid)
  std::string trust_root;  // x5c: SHA-256 hex fingerprint of the configured root the
                           // chain ended at; "" for DID-based keys
};

}  // namespace mpli::credentials
