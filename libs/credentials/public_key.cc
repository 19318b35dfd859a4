#include "libs/credentials/public_key.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "libs/credentials/refusal.h"

namespace mpli::credentials {

std::string_view jose_algorithm(KeyType type) {
  switch (type) {
    case KeyType::kEd25519:
      return "EdDSA";
    case KeyType::kP256:
      return "ES256";
    case KeyType::kP384:
      return "ES384";
    case KeyType::kP521:
      return "ES512";
  }
  return "";
}

void PublicKey::Deleter::operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }

Result<PublicKey> PublicKey::adopt(EVP_PKEY* key) {
  std::shared_ptr<EVP_PKEY> owned(key, Deleter{});
  if (!key) return refusal(Refusal::kMalformed, "no key");
  int id = EVP_PKEY_get_base_id(key);
  if (id == EVP_PKEY_ED25519) return PublicKey(std::move(owned), KeyType::kEd25519);
  if (id == EVP_PKEY_EC) {
    char group[64] = {0};
    size_t length = 0;
    if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
                                       &length) == 1) {
      std::string_view name(group, length);
      if (name == "prime256v1" || name == "P-256") return PublicKey(owned, KeyType::kP256);
      if (name == "secp384r1" || name == "P-384") return PublicKey(owned, KeyType::kP384);
      if (name == "secp521r1" || name == "P-521") return PublicKey(owned, KeyType::kP521);
    }
    return refusal(Refusal::kUnsupportedAlgorithm, "EC key on an unsupported curve");
  }
  return refusal(Refusal::kUnsupportedAlgorithm,
                 "unsupported key type (only Ed25519, P-256, P-384, P-521)");
}

Result<PublicKey> PublicKey::from_spki_der(std::string_view der) {
  const auto* cursor = reinterpret_cast<const unsigned char*>(der.data());
  EVP_PKEY* key = d2i_PUBKEY(nullptr, &cursor, static_cast<long>(der.size()));
  if (!key) return refusal(Refusal::kMalformed, "not a DER SubjectPublicKeyInfo");
  return adopt(key);
}

std::string PublicKey::spki_der() const {
  unsigned char* der = nullptr;
  int length = i2d_PUBKEY(key_.get(), &der);
  if (length <= 0) return "";
  std::string out(reinterpret_cast<const char*>(der), static_cast<size_t>(length));
  OPENSSL_free(der);
  return out;
}

}  // namespace mpli::credentials
