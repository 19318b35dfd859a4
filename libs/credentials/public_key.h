// A public (or, for the hub's own issuing key, private) key in one owning handle, with the
// JOSE algorithm it allows. Every verifier in libs/credentials takes a PublicKey, so the key
// type decides the algorithm and a token's header can never choose a weaker one.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "libs/core/status.h"

using EVP_PKEY = struct evp_pkey_st;

namespace mpli::credentials {

enum class KeyType { kEd25519, kP256, kP384, kP521 };

// "EdDSA", "ES256", "ES384", "ES512": the only JOSE alg a key of this type may verify.
std::string_view jose_algorithm(KeyType type);

class PublicKey {
 public:
  // Takes ownership of `key`; refuses key types other than Ed25519 and the NIST P curves
  // (kUnsupportedAlgorithm), e.g. RSA or a secp256k1 key.
  static Result<PublicKey> adopt(EVP_PKEY* key);
  // A DER SubjectPublicKeyInfo.
  static Result<PublicKey> from_spki_der(std::string_view der);

  KeyType type() const { return type_; }
  EVP_PKEY* evp() const { return key_.get(); }
  // DER SubjectPublicKeyInfo of the public part: for comparing keys and for caches.
  std::string spki_der() const;

 private:
  struct Deleter {
    void operator()(EVP_PKEY* key) const;
  };
  PublicKey(std::shared_ptr<EVP_PKEY> key, KeyType type) : key_(std::move(key)), type_(type) {}

  // Shared: keys are immutable once built and are cached and handed to many verifications.
  std::shared_ptr<EVP_PKEY> key_;
  KeyType type_;
};

}  // namespace mpli::credentials
