#include "libs/credentials/testing/test_pki.h"

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <catch2/catch.hpp>

namespace mpli::credentials::testing {

Key key_from_pem(const std::string& text) {
  BIO* bio = BIO_new_mem_buf(text.data(), static_cast<int>(text.size()));
  Key key(PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr));
  BIO_free(bio);
  REQUIRE(key);
  return key;
}

Key ed25519_key() { return Key(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519")); }
Key p256_key() { return Key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256")); }

namespace {

void add_extension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_nconf_nid(nullptr, &ctx, nid, value.c_str());
  REQUIRE(ext != nullptr);
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

}  // namespace

Cert make_cert(const CertSpec& spec, EVP_PKEY* key, X509* issuer, EVP_PKEY* issuer_key) {
  static long serial = 1;
  Cert cert(X509_new());
  X509_set_version(cert.get(), X509_VERSION_3);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), ++serial);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("MPLI test"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(spec.common_name.c_str()), -1,
                             -1, 0);
  X509_set_issuer_name(cert.get(), issuer ? X509_get_subject_name(issuer) : name);
  ASN1_TIME_set(X509_getm_notBefore(cert.get()), static_cast<time_t>(spec.not_before));
  ASN1_TIME_set(X509_getm_notAfter(cert.get()), static_cast<time_t>(spec.not_after));
  X509_set_pubkey(cert.get(), key);
  X509* signer = issuer ? issuer : cert.get();
  add_extension(cert.get(), signer, NID_basic_constraints,
                spec.ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
  if (!spec.key_usage.empty()) {
    add_extension(cert.get(), signer, NID_key_usage, spec.key_usage);
  }
  add_extension(cert.get(), signer, NID_subject_key_identifier, "hash");
  add_extension(cert.get(), signer, NID_authority_key_identifier, "keyid:always");
  if (!spec.san.empty()) add_extension(cert.get(), signer, NID_subject_alt_name, spec.san);
  EVP_PKEY* signing_key = issuer_key ? issuer_key : key;
  const EVP_MD* md = EVP_PKEY_get_base_id(signing_key) == EVP_PKEY_ED25519 ? nullptr : EVP_sha256();
  REQUIRE(X509_sign(cert.get(), signing_key, md) > 0);
  return cert;
}

std::string der(X509* cert) {
  unsigned char* out = nullptr;
  int length = i2d_X509(cert, &out);
  std::string bytes(reinterpret_cast<const char*>(out), static_cast<size_t>(length));
  OPENSSL_free(out);
  return bytes;
}

std::string pem(X509* cert) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, cert);
  char* data = nullptr;
  long length = BIO_get_mem_data(bio, &data);
  std::string text(data, static_cast<size_t>(length));
  BIO_free(bio);
  return text;
}

CertSpec ca_spec(const std::string& name) {
  CertSpec spec;
  spec.common_name = name;
  spec.ca = true;
  spec.key_usage = "critical,keyCertSign,cRLSign";
  spec.not_before = kPkiNow - 3650 * kDay;
  spec.not_after = kPkiNow + 3650 * kDay;
  return spec;
}

CertificateRoots Pki::roots() const {
  auto roots = CertificateRoots::from_pem(pem(root.get()));
  REQUIRE(roots.is_ok());
  return *roots;
}

std::vector<std::string> Pki::chain(const CertSpec& leaf_spec, EVP_PKEY* leaf_key) const {
  Cert leaf = make_cert(leaf_spec, leaf_key, intermediate.get(), intermediate_key.get());
  return {der(leaf.get()), der(intermediate.get())};
}

}  // namespace mpli::credentials::testing
