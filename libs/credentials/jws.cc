#include "libs/credentials/jws.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <array>

#include "libs/credentials/base64url.h"
#include "libs/credentials/json_document.h"
#include "libs/credentials/jwk.h"
#include "libs/credentials/jwk_internal.h"
#include "libs/credentials/refusal.h"

namespace mpli::credentials {
namespace {

struct MdContextDeleter {
  void operator()(EVP_MD_CTX* context) const { EVP_MD_CTX_free(context); }
};
using MdContext = std::unique_ptr<EVP_MD_CTX, MdContextDeleter>;
struct EcdsaSigDeleter {
  void operator()(ECDSA_SIG* signature) const { ECDSA_SIG_free(signature); }
};
using EcdsaSig = std::unique_ptr<ECDSA_SIG, EcdsaSigDeleter>;
struct BioDeleter {
  void operator()(BIO* bio) const { BIO_free(bio); }
};

// Fetched once: OpenSSL 3 looks a legacy EVP_sha256() up in its provider again on every
// EVP_DigestVerifyInit, which costs a few microseconds per verification. Never freed: they
// live as long as the process.
const EVP_MD* fetched_digest(const char* name) {
  EVP_MD* digest = EVP_MD_fetch(nullptr, name, nullptr);
  return digest;
}

const EVP_MD* digest_for(KeyType type) {
  static const EVP_MD* const kSha256 = fetched_digest("SHA2-256");
  static const EVP_MD* const kSha384 = fetched_digest("SHA2-384");
  static const EVP_MD* const kSha512 = fetched_digest("SHA2-512");
  switch (type) {
    case KeyType::kEd25519:
      return nullptr;  // EdDSA hashes internally
    case KeyType::kP256:
      return kSha256;
    case KeyType::kP384:
      return kSha384;
    case KeyType::kP521:
      return kSha512;
  }
  return nullptr;
}

// OpenSSL wants DER; JOSE sends r||s, each exactly the curve's size (RFC 7518 section 3.4).
Result<std::string> jose_to_der(KeyType type, std::string_view signature) {
  size_t size = key_coordinate_bytes(type);
  if (signature.size() != 2 * size) {
    return refusal(Refusal::kBadSignature, "ECDSA signature of " +
                                               std::to_string(signature.size()) +
                                               " bytes, expected " + std::to_string(2 * size));
  }
  const auto* bytes = reinterpret_cast<const unsigned char*>(signature.data());
  EcdsaSig sig(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(bytes, static_cast<int>(size), nullptr);
  BIGNUM* s = BN_bin2bn(bytes + size, static_cast<int>(size), nullptr);
  if (!sig || !r || !s || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return refusal(Refusal::kBadSignature, "cannot decode the ECDSA signature");
  }
  unsigned char* der = nullptr;
  int length = i2d_ECDSA_SIG(sig.get(), &der);
  if (length <= 0) return refusal(Refusal::kBadSignature, "cannot encode the ECDSA signature");
  std::string out(reinterpret_cast<const char*>(der), static_cast<size_t>(length));
  OPENSSL_free(der);
  return out;
}

Result<std::string> der_to_jose(KeyType type, std::string_view der) {
  const auto* cursor = reinterpret_cast<const unsigned char*>(der.data());
  EcdsaSig sig(d2i_ECDSA_SIG(nullptr, &cursor, static_cast<long>(der.size())));
  if (!sig) return internal_error("OpenSSL produced an undecodable ECDSA signature");
  size_t size = key_coordinate_bytes(type);
  std::string out(2 * size, '\0');
  auto* bytes = reinterpret_cast<unsigned char*>(out.data());
  if (BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), bytes, static_cast<int>(size)) < 0 ||
      BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), bytes + size, static_cast<int>(size)) < 0) {
    return internal_error("ECDSA signature does not fit the curve size");
  }
  return out;
}

Status check_header(const nlohmann::json& header, const PublicKey& key) {
  auto alg_member = header.find("alg");
  if (alg_member == header.end() || !alg_member->is_string()) {
    return malformed_field("alg", "the JWS header has no string alg");
  }
  const auto& alg = alg_member->get_ref<const std::string&>();
  std::string_view allowed = jose_algorithm(key.type());
  if (alg != allowed) {
    return refusal(Refusal::kUnsupportedAlgorithm,
                   "JWS alg '" + alg + "' is not the key's algorithm " + std::string(allowed));
  }
  if (auto crit = header.find("crit"); crit != header.end()) {
    // RFC 7515 section 4.1.11: a recipient must refuse a JWS whose critical extensions it does
    // not understand. No extension is understood here.
    if (!crit->is_array() || crit->empty())
      return malformed_field("crit", "must be a non-empty array");
    std::string listed;
    for (const auto& name : *crit) listed += (listed.empty() ? "" : ", ") + name.dump();
    return malformed_field("crit", "critical header parameters not understood: " + listed);
  }
  return Status::ok();
}

}  // namespace

Result<CompactJws> parse_compact_jws(std::string_view token, size_t max_token_bytes) {
  if (token.size() > max_token_bytes) {
    return refusal(Refusal::kTooLarge, "token of " + std::to_string(token.size()) +
                                           " bytes is over the limit of " +
                                           std::to_string(max_token_bytes));
  }
  size_t first = token.find('.');
  size_t second = first == std::string_view::npos ? first : token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) {
    return refusal(Refusal::kMalformed, "a compact JWS has exactly three dot-separated parts");
  }
  std::array<std::string_view, 3> parts = {token.substr(0, first),
                                           token.substr(first + 1, second - first - 1),
                                           token.substr(second + 1)};
  std::array<size_t, 3> offsets = {0, first + 1, second + 1};
  std::array<std::string, 3> decoded;
  for (size_t i = 0; i < parts.size(); ++i) {
    // An empty signature is what an unsecured JWS (alg "none") has: let the algorithm check
    // refuse it by name rather than as malformed; any other alg then fails as a bad signature.
    if (parts[i].empty() && i == 0) {
      return refusal(Refusal::kMalformed, "empty JWS header")
          .with_detail("column", std::to_string(offsets[i] + 1));
    }
    auto bytes = base64url_decode(parts[i]);
    if (!bytes.is_ok()) {
      Status status = bytes.status();
      std::string column = status.detail("column");
      if (!column.empty()) {
        status.with_detail("column", std::to_string(std::stoul(column) + offsets[i]));
      }
      return status;
    }
    decoded[i] = std::move(bytes).value();
  }
  MPLI_ASSIGN_OR_RETURN(auto header, parse_json_object(decoded[0], "JWS header"));
  CompactJws jws;
  jws.header = std::move(header);
  jws.payload = std::move(decoded[1]);
  jws.signing_input = std::string(token.substr(0, second));
  jws.signature = std::move(decoded[2]);
  return jws;
}

Status verify_signature(const PublicKey& key, std::string_view message,
                        std::string_view signature) {
  std::string der_or_raw;
  if (key.type() == KeyType::kEd25519) {
    if (signature.size() != 64)
      return refusal(Refusal::kBadSignature, "Ed25519 signature is not 64 bytes");
    der_or_raw = std::string(signature);
  } else {
    MPLI_ASSIGN_OR_RETURN(der_or_raw, jose_to_der(key.type(), signature));
  }
  MdContext context(EVP_MD_CTX_new());
  if (!context || EVP_DigestVerifyInit(context.get(), nullptr, digest_for(key.type()), nullptr,
                                       key.evp()) != 1) {
    return refusal(Refusal::kBadSignature, "cannot set up signature verification");
  }
  int verdict = EVP_DigestVerify(
      context.get(), reinterpret_cast<const unsigned char*>(der_or_raw.data()), der_or_raw.size(),
      reinterpret_cast<const unsigned char*>(message.data()), message.size());
  if (verdict != 1) return refusal(Refusal::kBadSignature, "signature does not verify");
  return Status::ok();
}

Status verify_compact_jws(const CompactJws& jws, const PublicKey& key) {
  MPLI_RETURN_IF_ERROR(check_header(jws.header, key));
  return verify_signature(key, jws.signing_input, jws.signature);
}

Result<CompactJws> verify(std::string_view token, const PublicKey& key, size_t max_token_bytes) {
  MPLI_ASSIGN_OR_RETURN(auto jws, parse_compact_jws(token, max_token_bytes));
  MPLI_RETURN_IF_ERROR(verify_compact_jws(jws, key));
  return jws;
}

void SigningKey::Deleter::operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }

Result<SigningKey> SigningKey::adopt(EVP_PKEY* key) {
  std::unique_ptr<EVP_PKEY, Deleter> owned(key);
  if (!key) return refusal(Refusal::kMalformed, "no private key");
  // The public half gets its own handle so that PublicKey never shares the private key.
  unsigned char* der = nullptr;
  int length = i2d_PUBKEY(key, &der);
  if (length <= 0) return refusal(Refusal::kMalformed, "cannot derive the public key");
  std::string spki(reinterpret_cast<const char*>(der), static_cast<size_t>(length));
  OPENSSL_free(der);
  MPLI_ASSIGN_OR_RETURN(auto public_key, PublicKey::from_spki_der(spki));
  return SigningKey(std::move(owned), std::move(public_key));
}

Result<SigningKey> SigningKey::generate(KeyType type) {
  EVP_PKEY* key = nullptr;
  if (type == KeyType::kEd25519) {
    key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  } else {
    key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", internal::group_name(type));
  }
  if (!key) return internal_error("key generation failed");
  return adopt(key);
}

Result<SigningKey> SigningKey::from_pem(std::string_view pem) {
  std::unique_ptr<BIO, BioDeleter> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return internal_error("cannot allocate a memory BIO");
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr);
  if (!key) return refusal(Refusal::kMalformed, "not a PEM private key");
  return adopt(key);
}

Result<SigningKey> SigningKey::from_jwk(const nlohmann::json& jwk) {
  if (!jwk.is_object()) return refusal(Refusal::kMalformed, "JWK is not a JSON object");
  MPLI_ASSIGN_OR_RETURN(KeyType type, internal::curve_of(jwk));
  size_t size = key_coordinate_bytes(type);
  MPLI_ASSIGN_OR_RETURN(auto d, internal::fixed_length_member(jwk, "d", size));
  MPLI_ASSIGN_OR_RETURN(auto x, internal::fixed_length_member(jwk, "x", size));
  EVP_PKEY* key = nullptr;
  if (type == KeyType::kEd25519) {
    key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr,
                                       reinterpret_cast<const unsigned char*>(d.data()), d.size());
  } else {
    MPLI_ASSIGN_OR_RETURN(auto y, internal::fixed_length_member(jwk, "y", size));
    MPLI_ASSIGN_OR_RETURN(key, internal::ec_key_from_parts(type, "\x04" + x + y, d));
  }
  MPLI_ASSIGN_OR_RETURN(auto signing_key, adopt(key));
  // A JWK whose public members do not belong to its private key would sign tokens that its
  // published public key cannot verify.
  nlohmann::json derived = public_jwk(signing_key.public_key());
  if (derived["x"] != jwk["x"] || (type != KeyType::kEd25519 && derived["y"] != jwk["y"])) {
    return refusal(Refusal::kMalformed, "JWK public members do not match its private key");
  }
  return signing_key;
}

std::string SigningKey::to_pem() const {
  std::unique_ptr<BIO, BioDeleter> bio(BIO_new(BIO_s_mem()));
  if (!bio ||
      PEM_write_bio_PrivateKey(bio.get(), key_.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return "";
  }
  char* data = nullptr;
  long length = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(length));
}

Result<std::string> SigningKey::sign_bytes(std::string_view message) const {
  MdContext context(EVP_MD_CTX_new());
  if (!context ||
      EVP_DigestSignInit(context.get(), nullptr, digest_for(type()), nullptr, key_.get()) != 1) {
    return internal_error("cannot set up signing");
  }
  size_t length = 0;
  const auto* bytes = reinterpret_cast<const unsigned char*>(message.data());
  if (EVP_DigestSign(context.get(), nullptr, &length, bytes, message.size()) != 1) {
    return internal_error("cannot size the signature");
  }
  std::string signature(length, '\0');
  if (EVP_DigestSign(context.get(), reinterpret_cast<unsigned char*>(signature.data()), &length,
                     bytes, message.size()) != 1) {
    return internal_error("signing failed");
  }
  signature.resize(length);
  if (type() == KeyType::kEd25519) return signature;
  return der_to_jose(type(), signature);
}

Result<std::string> SigningKey::sign(const nlohmann::json& header, std::string_view payload) const {
  // `{}` in a braced call is a JSON null: taken as the empty header it was meant to be.
  if (!header.is_object() && !header.is_null()) {
    return refusal(Refusal::kMalformed, "JWS header is not an object");
  }
  std::string alg(jose_algorithm(type()));
  if (auto given = header.find("alg"); given != header.end() && *given != alg) {
    return refusal(Refusal::kUnsupportedAlgorithm, "header alg does not fit the signing key");
  }
  nlohmann::json protected_header = header.is_null() ? nlohmann::json::object() : header;
  protected_header["alg"] = alg;
  std::string signing_input = base64url_encode(protected_header.dump(
                                  -1, ' ', false, nlohmann::json::error_handler_t::replace)) +
                              "." + base64url_encode(payload);
  MPLI_ASSIGN_OR_RETURN(auto signature, sign_bytes(signing_input));
  return signing_input + "." + base64url_encode(signature);
}

}  // namespace mpli::credentials
