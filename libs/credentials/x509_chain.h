// X.509 chains as JOSE x5c and COSE x5chain carry them: the hub's configured root certificates,
// and the check that a leaf-first DER chain ends at one of them at a given time.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "libs/core/status.h"
#include "libs/credentials/public_key.h"

using X509_STORE = struct x509_store_st;

namespace mpli::credentials {

// A chain longer than this (leaf and intermediates, as sent) is refused before any parsing.
inline constexpr size_t kMaxChainCertificates = 5;
// Total DER bytes of a chain; real chains are a few kilobytes.
inline constexpr size_t kMaxChainBytes = size_t{64} * 1024;

// The configured trust anchors. Every configured certificate is an anchor, self-signed or not
// (an operator may pin an issuing CA below a public root), and must be a CA.
class CertificateRoots {
 public:
  // One or many PEM certificates. kInvalidArgument (a configuration error, meant to stop the
  // process at start) when there is none, one does not parse, or one is not a CA (no
  // basicConstraints CA:TRUE, or a keyUsage without keyCertSign).
  static Result<CertificateRoots> from_pem(std::string_view pem);

  // SHA-256 hex (lower case) of each root's DER, in configuration order, without repeats.
  const std::vector<std::string>& fingerprints() const { return fingerprints_; }
  X509_STORE* store() const { return store_.get(); }

 private:
  struct Deleter {
    void operator()(X509_STORE* store) const;
  };
  CertificateRoots(std::shared_ptr<X509_STORE> store, std::vector<std::string> fingerprints)
      : store_(std::move(store)), fingerprints_(std::move(fingerprints)) {}

  // Shared: immutable once built, read by concurrent verifications (X509_STORE is thread-safe
  // for lookups).
  std::shared_ptr<X509_STORE> store_;
  std::vector<std::string> fingerprints_;
};

struct ChainVerification {
  PublicKey key;                      // the leaf's public key
  std::string subject;                // the leaf's subject DN (RFC 2253)
  std::vector<std::string> san_uris;  // subjectAltName URIs (a did:web issuer is often here)
  std::vector<std::string> san_dns;   // subjectAltName DNS names
  std::string trust_root;             // SHA-256 hex of the configured root the chain ended at
};

// `der_chain` is leaf first; the other certificates are untrusted intermediates (their order is
// not relied on). Checked at `now_unix`, never the wall clock: chain to a configured root,
// every certificate within its validity, intermediates are CAs, RFC 5280 strictness
// (X509_V_FLAG_X509_STRICT), the leaf's keyUsage (when present) allows digitalSignature.
// Failures are kBadCertificateChain naming the certificate (x5c[i]) and what failed;
// certificates that are not DER are kMalformed; a leaf key of a type we cannot verify with is
// kUnsupportedAlgorithm.
Result<ChainVerification> verify_chain(const CertificateRoots& roots,
                                       const std::vector<std::string>& der_chain, int64_t now_unix);

}  // namespace mpli::credentials
