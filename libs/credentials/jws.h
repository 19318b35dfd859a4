// Compact JWS (RFC 7515) for credentials: strict parsing, verification where the key decides
// the algorithm (never the header), and a SigningKey for the hub's own tokens and for tests.
#pragma once

#include <cstddef>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "libs/core/status.h"
#include "libs/credentials/public_key.h"

namespace mpli::credentials {

inline constexpr size_t kDefaultMaxTokenBytes = size_t{256} * 1024;

// NOLINTNEXTLINE(bugprone-exception-escape): nlohmann::json member; its move does not throw
struct CompactJws {
  nlohmann::json header;      // the protected header, a JSON object
  std::string payload;        // decoded payload bytes
  std::string signing_input;  // "<header b64>.<payload b64>", what the signature covers
  std::string signature;      // decoded signature bytes
};

// Three base64url parts, each strictly encoded, the header a JSON object with a string "alg".
// Errors: kTooLarge over `max_token_bytes`, kMalformed otherwise (detail "column" = 1-based
// position in the token where known).
Result<CompactJws> parse_compact_jws(std::string_view token,
                                     size_t max_token_bytes = kDefaultMaxTokenBytes);

// The header's alg must be the one the key allows (jose_algorithm): "none", HMAC, RSA and any
// mismatch are kUnsupportedAlgorithm. A `crit` listing anything is kMalformed: this verifier
// understands no extension header parameters. A signature that does not verify, or an ECDSA
// signature that is not exactly r||s of the curve's size, is kBadSignature.
Status verify_compact_jws(const CompactJws& jws, const PublicKey& key);

// parse_compact_jws + verify_compact_jws.
Result<CompactJws> verify(std::string_view token, const PublicKey& key,
                          size_t max_token_bytes = kDefaultMaxTokenBytes);

// A raw JOSE signature (Ed25519, or ECDSA r||s) over `message`: kBadSignature when it fails.
Status verify_signature(const PublicKey& key, std::string_view message, std::string_view signature);

// A private key: the only owner of its EVP_PKEY.
class SigningKey {
 public:
  // Ed25519, P-256, P-384 or P-521.
  static Result<SigningKey> generate(KeyType type);
  // PKCS#8 PEM ("-----BEGIN PRIVATE KEY-----") text.
  static Result<SigningKey> from_pem(std::string_view pem);
  // A private JWK (OKP Ed25519 or EC with "d"); x/y must match d.
  static Result<SigningKey> from_jwk(const nlohmann::json& jwk);

  // PKCS#8 PEM, unencrypted: the caller decides where it may be written.
  std::string to_pem() const;
  const PublicKey& public_key() const { return public_key_; }
  KeyType type() const { return public_key_.type(); }

  // A compact JWS of `payload` under `header` (an object; "alg" is set to the key's algorithm
  // and a different one given is refused as kUnsupportedAlgorithm).
  Result<std::string> sign(const nlohmann::json& header, std::string_view payload) const;
  // The raw JOSE signature over `message` (Ed25519 deterministic; ECDSA as r||s).
  Result<std::string> sign_bytes(std::string_view message) const;

 private:
  struct Deleter {
    void operator()(EVP_PKEY* key) const;
  };
  SigningKey(std::unique_ptr<EVP_PKEY, Deleter> key, PublicKey public_key)
      : key_(std::move(key)), public_key_(std::move(public_key)) {}
  static Result<SigningKey> adopt(EVP_PKEY* key);

  std::unique_ptr<EVP_PKEY, Deleter> key_;
  PublicKey public_key_;
};

}  // namespace mpli::credentials
