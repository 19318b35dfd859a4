// How a verifier finds the key that must have signed a token. Pure resolvers (did:key, did:jwk)
// live in this library; the trust service adds the I/O ones (did:web fetched and cached, x5c
// checked against the hub's configured roots) behind the same interface.
#pragma once

#include <string>
#include <vector>

#include "libs/core/status.h"
#include "libs/credentials/public_key.h"

namespace mpli::credentials {

struct KeyRequest {
  std::string issuer;            // the token's issuer (`iss`, or the credential's `issuer`)
  std::string kid;               // the protected header's kid ("" when absent)
  std::vector<std::string> x5c;  // the protected header's x5c, DER certificates, leaf first
};

struct ResolvedKey {
  PublicKey key;
  std::string key_id;      // the verification method id, e.g. "did:web:a.example#key-1"
  std::string trust_root;  // x5c only: SHA-256 hex of the configured root certificate
};

class KeyResolver {
 public:
  virtual ~KeyResolver() = default;
  // Errors are refusals: kKeyNotFound, kKeyUnavailable (retry later), kBadCertificateChain,
  // kMalformed.
  virtual Result<ResolvedKey> resolve(const KeyRequest& request) const = 0;
};

}  // namespace mpli::credentials
