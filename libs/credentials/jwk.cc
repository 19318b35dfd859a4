#include "libs/credentials/jwk.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/sha.h>

#include <memory>

#include "libs/credentials/base64url.h"
#include "libs/credentials/json_document.h"
#include "libs/credentials/jwk_internal.h"
#include "libs/credentials/refusal.h"

namespace mpli::credentials {
namespace {

struct BnDeleter {
  void operator()(BIGNUM* bn) const { BN_free(bn); }
};
using BnPtr = std::unique_ptr<BIGNUM, BnDeleter>;

std::string coordinate(const PublicKey& key, const char* name) {
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(key.evp(), name, &raw) != 1) return "";
  BnPtr bn(raw);
  std::string out(key_coordinate_bytes(key.type()), '\0');
  if (BN_bn2binpad(bn.get(), reinterpret_cast<unsigned char*>(out.data()),
                   static_cast<int>(out.size())) < 0) {
    return "";
  }
  return out;
}

}  // namespace

size_t key_coordinate_bytes(KeyType type) {
  switch (type) {
    case KeyType::kEd25519:
    case KeyType::kP256:
      return 32;
    case KeyType::kP384:
      return 48;
    case KeyType::kP521:
      return 66;
  }
  return 0;
}

namespace internal {

Result<KeyType> curve_of(const nlohmann::json& jwk) {
  MPLI_ASSIGN_OR_RETURN(auto kty, string_member(jwk, "kty"));
  if (kty == "oct") {
    return refusal(Refusal::kUnsupportedAlgorithm, "symmetric (kty oct) keys are not accepted");
  }
  if (kty != "OKP" && kty != "EC") {
    return refusal(Refusal::kUnsupportedAlgorithm, "unsupported JWK kty '" + kty + "'");
  }
  MPLI_ASSIGN_OR_RETURN(auto crv, string_member(jwk, "crv"));
  KeyType type;
  if (kty == "OKP" && crv == "Ed25519") {
    type = KeyType::kEd25519;
  } else if (kty == "EC" && crv == "P-256") {
    type = KeyType::kP256;
  } else if (kty == "EC" && crv == "P-384") {
    type = KeyType::kP384;
  } else if (kty == "EC" && crv == "P-521") {
    type = KeyType::kP521;
  } else {
    return refusal(Refusal::kUnsupportedAlgorithm, "unsupported JWK curve '" + crv + "'");
  }
  MPLI_ASSIGN_OR_RETURN(auto alg, optional_string_member(jwk, "alg"));
  if (alg && *alg != jose_algorithm(type)) {
    return refusal(Refusal::kUnsupportedAlgorithm,
                   "JWK alg '" + *alg + "' does not fit its curve " + crv);
  }
  return type;
}

Result<std::string> fixed_length_member(const nlohmann::json& jwk, std::string_view field,
                                        size_t length) {
  MPLI_ASSIGN_OR_RETURN(auto encoded, string_member(jwk, field));
  auto decoded = base64url_decode(encoded);
  if (!decoded.is_ok()) return malformed_field(field, decoded.status().message());
  if (decoded->size() != length) {
    return malformed_field(field, "must be " + std::to_string(length) + " bytes");
  }
  return std::move(decoded).value();
}

const char* group_name(KeyType type) {
  switch (type) {
    case KeyType::kP256:
      return "P-256";
    case KeyType::kP384:
      return "P-384";
    case KeyType::kP521:
      return "P-521";
    case KeyType::kEd25519:
      break;
  }
  return "";
}

Result<EVP_PKEY*> ec_key_from_parts(KeyType type, std::string_view point,
                                    std::string_view private_scalar) {
  std::unique_ptr<OSSL_PARAM_BLD, decltype(&OSSL_PARAM_BLD_free)> builder(OSSL_PARAM_BLD_new(),
                                                                          OSSL_PARAM_BLD_free);
  BnPtr scalar;
  if (!builder ||
      OSSL_PARAM_BLD_push_utf8_string(builder.get(), OSSL_PKEY_PARAM_GROUP_NAME, group_name(type),
                                      0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(builder.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                       point.size()) != 1) {
    return refusal(Refusal::kMalformed, "cannot build EC key parameters");
  }
  if (!private_scalar.empty()) {
    scalar.reset(BN_bin2bn(reinterpret_cast<const unsigned char*>(private_scalar.data()),
                           static_cast<int>(private_scalar.size()), nullptr));
    if (!scalar ||
        OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_PRIV_KEY, scalar.get()) != 1) {
      return refusal(Refusal::kMalformed, "cannot build EC private key parameters");
    }
  }
  std::unique_ptr<OSSL_PARAM, decltype(&OSSL_PARAM_free)> params(
      OSSL_PARAM_BLD_to_param(builder.get()), OSSL_PARAM_free);
  std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> context(
      EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr), EVP_PKEY_CTX_free);
  EVP_PKEY* key = nullptr;
  int selection = private_scalar.empty() ? EVP_PKEY_PUBLIC_KEY : EVP_PKEY_KEYPAIR;
  // Decoding the point checks that it lies on the curve (EC_POINT_oct2point).
  if (!params || !context || EVP_PKEY_fromdata_init(context.get()) != 1 ||
      EVP_PKEY_fromdata(context.get(), &key, selection, params.get()) != 1 || !key) {
    return refusal(Refusal::kMalformed, "EC point is not on the curve");
  }
  return key;
}

}  // namespace internal

Result<PublicKey> public_key_from_jwk(const nlohmann::json& jwk) {
  if (!jwk.is_object()) return refusal(Refusal::kMalformed, "JWK is not a JSON object");
  // The key type first: a symmetric key is refused as such, whatever else it carries.
  MPLI_ASSIGN_OR_RETURN(KeyType type, internal::curve_of(jwk));
  for (const char* private_member : {"d", "p", "q", "dp", "dq", "qi", "k"}) {
    if (jwk.contains(private_member)) {
      return malformed_field(private_member,
                             "a private key member in a JWK where a public key is expected");
    }
  }
  size_t size = key_coordinate_bytes(type);
  MPLI_ASSIGN_OR_RETURN(auto x, internal::fixed_length_member(jwk, "x", size));
  if (type == KeyType::kEd25519) {
    EVP_PKEY* key = EVP_PKEY_new_raw_public_key(
        EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(x.data()), x.size());
    return PublicKey::adopt(key);
  }
  MPLI_ASSIGN_OR_RETURN(auto y, internal::fixed_length_member(jwk, "y", size));
  MPLI_ASSIGN_OR_RETURN(EVP_PKEY * key, internal::ec_key_from_parts(type, "\x04" + x + y, ""));
  return PublicKey::adopt(key);
}

nlohmann::json public_jwk(const PublicKey& key) {
  if (key.type() == KeyType::kEd25519) {
    std::string raw(32, '\0');
    size_t length = raw.size();
    EVP_PKEY_get_raw_public_key(key.evp(), reinterpret_cast<unsigned char*>(raw.data()), &length);
    raw.resize(length);
    return {{"crv", "Ed25519"}, {"kty", "OKP"}, {"x", base64url_encode(raw)}};
  }
  return {{"crv", internal::group_name(key.type())},
          {"kty", "EC"},
          {"x", base64url_encode(coordinate(key, OSSL_PKEY_PARAM_EC_PUB_X))},
          {"y", base64url_encode(coordinate(key, OSSL_PKEY_PARAM_EC_PUB_Y))}};
}

std::string jwk_thumbprint(const PublicKey& key) {
  // nlohmann objects are sorted by key and dump() is compact: exactly RFC 7638's form.
  std::string canonical = public_jwk(key).dump();
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(canonical.data()), canonical.size(), digest);
  return base64url_encode(std::string_view(reinterpret_cast<const char*>(digest), sizeof(digest)));
}

namespace internal {

std::string compressed_point(const PublicKey& key) {
  std::string x = coordinate(key, OSSL_PKEY_PARAM_EC_PUB_X);
  std::string y = coordinate(key, OSSL_PKEY_PARAM_EC_PUB_Y);
  if (x.empty() || y.empty()) return "";
  char prefix = (static_cast<unsigned char>(y.back()) & 1) ? '\x03' : '\x02';
  return prefix + x;
}

}  // namespace internal

}  // namespace mpli::credentials
