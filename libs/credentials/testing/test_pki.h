// Test certificates made in code (no fixture files): keys, a certificate builder with chosen
// validity, key usage and CA flag, and a root -> issuing CA PKI. For tests only.
#pragma once

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "libs/credentials/x509_chain.h"

namespace mpli::credentials::testing {

inline constexpr int64_t kDay = 86400;
inline constexpr int64_t kPkiNow = 1767225600;  // 2026-01-01T00:00:00Z: the default "now"

struct KeyDeleter {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct CertDeleter {
  void operator()(X509* cert) const { X509_free(cert); }
};
using Key = std::unique_ptr<EVP_PKEY, KeyDeleter>;
using Cert = std::unique_ptr<X509, CertDeleter>;

Key ed25519_key();
Key p256_key();
// The private key of a PKCS#8 PEM (e.g. SigningKey::to_pem()), to certify a signer's key.
Key key_from_pem(const std::string& pem);

// What a test certificate says about itself; the defaults make a valid end-entity certificate
// around kPkiNow.
struct CertSpec {
  std::string common_name = "leaf";
  bool ca = false;
  std::string key_usage = "critical,digitalSignature";  // "" = no keyUsage extension
  int64_t not_before = kPkiNow - 30 * kDay;
  int64_t not_after = kPkiNow + 365 * kDay;
  std::string san;  // e.g. "URI:did:web:issuer.example,DNS:issuer.example"
};

// issuer == nullptr: self-signed with `key`.
Cert make_cert(const CertSpec& spec, EVP_PKEY* key, X509* issuer, EVP_PKEY* issuer_key);
std::string der(X509* cert);
std::string pem(X509* cert);
CertSpec ca_spec(const std::string& name);

// A root, an intermediate under it and helpers to issue leaves.
struct Pki {
  Key root_key = ed25519_key();
  Cert root = make_cert(ca_spec("Test Root"), root_key.get(), nullptr, nullptr);
  Key intermediate_key = p256_key();
  Cert intermediate =
      make_cert(ca_spec("Test Issuing CA"), intermediate_key.get(), root.get(), root_key.get());

  CertificateRoots roots() const;
  // DER leaf then intermediate, as JOSE x5c wants them (before base64).
  std::vector<std::string> chain(const CertSpec& leaf_spec, EVP_PKEY* leaf_key) const;
};

}  // namespace mpli::credentials::testing
