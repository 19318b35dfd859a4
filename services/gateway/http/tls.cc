#include "services/gateway/http/tls.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <stdexcept>

namespace mpli::gateway {
namespace {

std::string openssl_errors() {
  std::string out;
  while (unsigned long code = ERR_get_error()) {
    char text[256];
    ERR_error_string_n(code, text, sizeof(text));
    if (!out.empty()) out += "; ";
    out += text;
  }
  return out.empty() ? "unknown error" : out;
}

}  // namespace

Result<std::shared_ptr<TlsContext>> TlsContext::load(const std::string& certificate_file,
                                                     const std::string& key_file) {
  std::shared_ptr<TlsContext> context(new TlsContext());
  context->ctx_ = SSL_CTX_new(TLS_server_method());
  if (context->ctx_ == nullptr) return internal_error("TLS: " + openssl_errors());
  SSL_CTX_set_min_proto_version(context->ctx_, TLS1_2_VERSION);
  SSL_CTX_set_options(context->ctx_, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  // Responses leave in pieces written at different times (a streamed catalogue).
  SSL_CTX_set_mode(context->ctx_, SSL_MODE_ENABLE_PARTIAL_WRITE);
  ERR_clear_error();
  if (SSL_CTX_use_certificate_chain_file(context->ctx_, certificate_file.c_str()) != 1) {
    return invalid_field(
        "http.tls_certificate_file",
        "cannot use " + certificate_file + " as a PEM certificate chain: " + openssl_errors());
  }
  if (SSL_CTX_use_PrivateKey_file(context->ctx_, key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    return invalid_field("http.tls_key_file",
                         "cannot use " + key_file + " as a PEM private key: " + openssl_errors());
  }
  if (SSL_CTX_check_private_key(context->ctx_) != 1) {
    return invalid_field("http.tls_key_file", key_file + " is not the key of " + certificate_file +
                                                  ": " + openssl_errors());
  }
  return context;
}

TlsContext::~TlsContext() { SSL_CTX_free(ctx_); }

TlsSession::TlsSession(const TlsContext& context) : ssl_(SSL_new(context.get())) {
  if (ssl_ == nullptr) throw std::runtime_error("SSL_new failed");
  // The SSL object owns both BIOs from here on.
  SSL_set_bio(ssl_, BIO_new(BIO_s_mem()), BIO_new(BIO_s_mem()));
  SSL_set_accept_state(ssl_);
}

TlsSession::~TlsSession() { SSL_free(ssl_); }

void TlsSession::drain_output(std::string& out) {
  BIO* wbio = SSL_get_wbio(ssl_);
  char buffer[16384];
  int n = 0;
  while ((n = BIO_read(wbio, buffer, sizeof(buffer))) > 0)
    out.append(buffer, static_cast<size_t>(n));
}

bool TlsSession::receive(std::string_view cipher, std::string& plain, std::string& out) {
  BIO* rbio = SSL_get_rbio(ssl_);
  while (!cipher.empty()) {
    int written = BIO_write(rbio, cipher.data(), static_cast<int>(cipher.size()));
    if (written <= 0) return false;
    cipher.remove_prefix(static_cast<size_t>(written));
  }
  bool ok = true;
  char buffer[16384];
  while (true) {
    // SSL_read also completes the handshake first.
    int n = SSL_read(ssl_, buffer, sizeof(buffer));
    if (n > 0) {
      plain.append(buffer, static_cast<size_t>(n));
      continue;
    }
    int error = SSL_get_error(ssl_, n);
    if (error != SSL_ERROR_WANT_READ && error != SSL_ERROR_WANT_WRITE) ok = false;
    break;
  }
  ERR_clear_error();
  drain_output(out);
  return ok;
}

bool TlsSession::send(std::string_view plain, std::string& out) {
  while (!plain.empty()) {
    size_t written = 0;
    if (SSL_write_ex(ssl_, plain.data(), plain.size(), &written) != 1) {
      ERR_clear_error();
      drain_output(out);
      return false;
    }
    plain.remove_prefix(written);
    drain_output(out);
  }
  return true;
}

void TlsSession::close(std::string& out) {
  SSL_shutdown(ssl_);
  ERR_clear_error();
  drain_output(out);
}

}  // namespace mpli::gateway
