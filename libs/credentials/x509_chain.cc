#include "libs/credentials/x509_chain.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <ctime>

#include "libs/credentials/refusal.h"

namespace mpli::credentials {
namespace {

struct X509Deleter {
  void operator()(X509* cert) const { X509_free(cert); }
};
struct BioDeleter {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct StackDeleter {
  void operator()(STACK_OF(X509) * stack) const { sk_X509_pop_free(stack, X509_free); }
};
struct StoreCtxDeleter {
  void operator()(X509_STORE_CTX* ctx) const { X509_STORE_CTX_free(ctx); }
};
struct GeneralNamesDeleter {
  void operator()(GENERAL_NAMES* names) const { GENERAL_NAMES_free(names); }
};
using X509Ptr = std::unique_ptr<X509, X509Deleter>;

Status chain_refusal(const std::string& message) {
  return refusal(Refusal::kBadCertificateChain, "certificate chain: " + message);
}

std::string sha256_hex(X509* cert) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (X509_digest(cert, EVP_sha256(), digest, &length) != 1) return "";
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < length; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 0xF]);
  }
  return out;
}

std::string name_of(X509_NAME* name) {
  std::unique_ptr<BIO, BioDeleter> bio(BIO_new(BIO_s_mem()));
  if (!bio || X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253) < 0) return "";
  char* data = nullptr;
  long length = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(std::max(length, 0L)));
}

// "2025-06-01T00:00:00Z": the date a refusal names, so an issuer sees which certificate
// lapsed when.
std::string iso_time(const ASN1_TIME* time) {
  struct tm parts {};
  if (!time || ASN1_TIME_to_tm(time, &parts) != 1) return "an unreadable date";
  char out[32];
  std::strftime(out, sizeof(out), "%Y-%m-%dT%H:%M:%SZ", &parts);
  return out;
}

// Why OpenSSL refused, in words an issuer can act on.
std::string describe_failure(X509_STORE_CTX* ctx, size_t chain_size) {
  int error = X509_STORE_CTX_get_error(ctx);
  int depth = X509_STORE_CTX_get_error_depth(ctx);
  X509* cert = X509_STORE_CTX_get_current_cert(ctx);
  // Depth counts from the leaf, as x5c does, while within what was sent.
  std::string which = depth >= 0 && static_cast<size_t>(depth) < chain_size
                          ? "x5c[" + std::to_string(depth) + "]"
                          : "the root";
  if (cert) which += " (" + name_of(X509_get_subject_name(cert)) + ")";
  switch (error) {
    case X509_V_ERR_CERT_HAS_EXPIRED:
      return which + " expired on " + iso_time(X509_get0_notAfter(cert));
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return which + " is not valid before " + iso_time(X509_get0_notBefore(cert));
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
      return "unknown root: " + which + " does not chain to a configured root (" +
             X509_verify_cert_error_string(error) + ")";
    case X509_V_ERR_INVALID_CA:
      return which + " is not a CA but issued another certificate";
    default:
      return which + ": " + X509_verify_cert_error_string(error);
  }
}

}  // namespace

void CertificateRoots::Deleter::operator()(X509_STORE* store) const { X509_STORE_free(store); }

Result<CertificateRoots> CertificateRoots::from_pem(std::string_view pem) {
  std::shared_ptr<X509_STORE> store(X509_STORE_new(), Deleter{});
  std::unique_ptr<BIO, BioDeleter> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!store || !bio) return internal_error("certificate roots: out of memory");
  std::vector<std::string> fingerprints;
  for (size_t index = 0;; ++index) {
    X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (!cert) {
      unsigned long error = ERR_peek_last_error();
      ERR_clear_error();
      // No further BEGIN line: the end of the text, the one normal way out of this loop.
      if (ERR_GET_REASON(error) == PEM_R_NO_START_LINE && index > 0) break;
      if (index == 0) return invalid_argument("certificate roots: no PEM certificate found");
      return invalid_argument("certificate roots: certificate " + std::to_string(index + 1) +
                              " does not parse");
    }
    std::string subject = name_of(X509_get_subject_name(cert.get()));
    uint32_t flags = X509_get_extension_flags(cert.get());
    if ((flags & EXFLAG_CA) == 0) {
      return invalid_argument("certificate roots: '" + subject +
                              "' is not a CA (no basicConstraints CA:TRUE)");
    }
    if ((flags & EXFLAG_KUSAGE) != 0 && (X509_get_key_usage(cert.get()) & KU_KEY_CERT_SIGN) == 0) {
      return invalid_argument("certificate roots: '" + subject +
                              "' has a keyUsage without keyCertSign");
    }
    std::string fingerprint = sha256_hex(cert.get());
    if (std::find(fingerprints.begin(), fingerprints.end(), fingerprint) != fingerprints.end()) {
      continue;
    }
    if (X509_STORE_add_cert(store.get(), cert.get()) != 1) {
      ERR_clear_error();
      return invalid_argument("certificate roots: could not add '" + subject + "'");
    }
    fingerprints.push_back(std::move(fingerprint));
  }
  return CertificateRoots(std::move(store), std::move(fingerprints));
}

Result<ChainVerification> verify_chain(const CertificateRoots& roots,
                                       const std::vector<std::string>& der_chain,
                                       int64_t now_unix) {
  if (der_chain.empty()) return chain_refusal("x5c is empty");
  if (der_chain.size() > kMaxChainCertificates) {
    return chain_refusal(std::to_string(der_chain.size()) + " certificates, more than the " +
                         std::to_string(kMaxChainCertificates) + " accepted");
  }
  size_t total = 0;
  for (const auto& der : der_chain) total += der.size();
  if (total > kMaxChainBytes) {
    return chain_refusal(std::to_string(total) + " bytes of certificates, more than the " +
                         std::to_string(kMaxChainBytes) + " accepted");
  }

  std::vector<X509Ptr> certs;
  for (size_t i = 0; i < der_chain.size(); ++i) {
    const auto* cursor = reinterpret_cast<const unsigned char*>(der_chain[i].data());
    const auto* end = cursor + der_chain[i].size();
    X509Ptr cert(d2i_X509(nullptr, &cursor, static_cast<long>(der_chain[i].size())));
    // Bytes after the certificate would be ignored by OpenSSL and read by nobody: refuse.
    if (!cert || cursor != end) {
      ERR_clear_error();
      return refusal(Refusal::kMalformed,
                     "certificate chain: x5c[" + std::to_string(i) + "] is not a DER certificate");
    }
    certs.push_back(std::move(cert));
  }

  std::unique_ptr<STACK_OF(X509), StackDeleter> untrusted(sk_X509_new_null());
  for (size_t i = 1; i < certs.size(); ++i) {
    if (!untrusted || sk_X509_push(untrusted.get(), certs[i].get()) == 0) {
      return internal_error("certificate chain: out of memory");
    }
    X509_up_ref(certs[i].get());  // the stack now owns a reference too
  }
  std::unique_ptr<X509_STORE_CTX, StoreCtxDeleter> ctx(X509_STORE_CTX_new());
  if (!ctx || X509_STORE_CTX_init(ctx.get(), roots.store(), certs[0].get(), untrusted.get()) != 1) {
    ERR_clear_error();
    return internal_error("certificate chain: could not set up verification");
  }
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
  X509_VERIFY_PARAM_set_time(param, static_cast<time_t>(now_unix));
  // PARTIAL_CHAIN: every configured certificate is an anchor (see CertificateRoots).
  X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_X509_STRICT | X509_V_FLAG_PARTIAL_CHAIN);
  X509_VERIFY_PARAM_set_depth(param, static_cast<int>(kMaxChainCertificates));

  if (X509_verify_cert(ctx.get()) != 1) {
    std::string why = describe_failure(ctx.get(), certs.size());
    ERR_clear_error();
    return chain_refusal(why);
  }

  X509* leaf = certs[0].get();
  if ((X509_get_extension_flags(leaf) & EXFLAG_KUSAGE) != 0 &&
      (X509_get_key_usage(leaf) & KU_DIGITAL_SIGNATURE) == 0) {
    return chain_refusal("x5c[0] (" + name_of(X509_get_subject_name(leaf)) +
                         ") key usage does not allow digitalSignature");
  }

  STACK_OF(X509)* built = X509_STORE_CTX_get0_chain(ctx.get());
  int built_size = built ? sk_X509_num(built) : 0;
  if (built_size == 0) return internal_error("certificate chain: no chain after verification");
  std::string trust_root = sha256_hex(sk_X509_value(built, built_size - 1));

  MPLI_ASSIGN_OR_RETURN(PublicKey key, PublicKey::adopt(X509_get_pubkey(leaf)));
  ChainVerification out{
      std::move(key), name_of(X509_get_subject_name(leaf)), {}, {}, std::move(trust_root)};
  std::unique_ptr<GENERAL_NAMES, GeneralNamesDeleter> names(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(leaf, NID_subject_alt_name, nullptr, nullptr)));
  for (int i = 0; names && i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
    if (name->type != GEN_URI && name->type != GEN_DNS) continue;
    const ASN1_IA5STRING* text =
        name->type == GEN_URI ? name->d.uniformResourceIdentifier : name->d.dNSName;
    std::string value(reinterpret_cast<const char*>(ASN1_STRING_get0_data(text)),
                      static_cast<size_t>(ASN1_STRING_length(text)));
    (name->type == GEN_URI ? out.san_uris : out.san_dns).push_back(std::move(value));
  }
  ERR_clear_error();
  return out;
}

}  // namespace mpli::credentials
