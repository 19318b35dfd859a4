#include "services/gateway/http/tls.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <string>

using namespace mpli;
using namespace mpli::gateway;

namespace {

// A self-signed P-256 certificate and its key as PEM files in a fresh directory.
struct Credentials {
  std::string dir;
  std::string certificate;
  std::string key;

  Credentials() {
    char pattern[] = "/tmp/mpli-tls-test-XXXXXX";
    REQUIRE(mkdtemp(pattern) != nullptr);
    dir = pattern;
    certificate = dir + "/cert.pem";
    key = dir + "/key.pem";
    write(certificate, key);
  }
  ~Credentials() {
    std::remove(certificate.c_str());
    std::remove(key.c_str());
    rmdir(dir.c_str());
  }
  Credentials(const Credentials&) = delete;
  Credentials& operator=(const Credentials&) = delete;

  static void write(const std::string& certificate_path, const std::string& key_path) {
    EVP_PKEY* pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
    REQUIRE(pkey != nullptr);
    X509* cert = X509_new();
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), 0);
    X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
    X509_set_pubkey(cert, pkey);
    X509_NAME* name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("mpli-test"), -1, -1, 0);
    X509_set_issuer_name(cert, name);
    REQUIRE(X509_sign(cert, pkey, EVP_sha256()) > 0);
    FILE* out = std::fopen(certificate_path.c_str(), "w");
    REQUIRE(out != nullptr);
    PEM_write_X509(out, cert);
    std::fclose(out);
    out = std::fopen(key_path.c_str(), "w");
    REQUIRE(out != nullptr);
    PEM_write_PrivateKey(out, pkey, nullptr, nullptr, 0, nullptr, nullptr);
    std::fclose(out);
    X509_free(cert);
    EVP_PKEY_free(pkey);
  }
};

// A TLS client over memory BIOs (it trusts anything: the test is about the server side).
class Client {
 public:
  Client() : ctx_(SSL_CTX_new(TLS_client_method())) {
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_NONE, nullptr);
    ssl_ = SSL_new(ctx_);
    SSL_set_bio(ssl_, BIO_new(BIO_s_mem()), BIO_new(BIO_s_mem()));
    SSL_set_connect_state(ssl_);
  }
  ~Client() {
    SSL_free(ssl_);
    SSL_CTX_free(ctx_);
  }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Bytes for the server (starting or continuing the handshake, or `plain` once it is done).
  std::string output(const std::string& plain = "") {
    if (!plain.empty()) SSL_write(ssl_, plain.data(), static_cast<int>(plain.size()));
    SSL_do_handshake(ssl_);
    std::string out;
    char buffer[16384];
    int n = 0;
    while ((n = BIO_read(SSL_get_wbio(ssl_), buffer, sizeof(buffer))) > 0) out.append(buffer, n);
    return out;
  }
  // Feeds the server's bytes; returns the plaintext they carry.
  std::string input(const std::string& cipher) {
    BIO_write(SSL_get_rbio(ssl_), cipher.data(), static_cast<int>(cipher.size()));
    std::string plain;
    char buffer[16384];
    int n = 0;
    while ((n = SSL_read(ssl_, buffer, sizeof(buffer))) > 0) plain.append(buffer, n);
    ERR_clear_error();
    return plain;
  }
  bool handshake_done() const { return SSL_is_init_finished(ssl_) == 1; }
  bool got_close_notify() const { return (SSL_get_shutdown(ssl_) & SSL_RECEIVED_SHUTDOWN) != 0; }

 private:
  SSL_CTX* ctx_;
  SSL* ssl_;
};

}  // namespace

TEST_CASE("a TLS session shakes hands and carries bytes both ways over memory") {
  Credentials credentials;
  auto context = TlsContext::load(credentials.certificate, credentials.key);
  REQUIRE(context.is_ok());
  TlsSession server(**context);
  Client client;

  std::string plain;
  std::string to_client;
  std::string to_server = client.output();
  for (int round = 0; round < 10 && !client.handshake_done(); ++round) {
    REQUIRE(server.receive(to_server, plain, to_client));
    client.input(to_client);
    to_client.clear();
    to_server = client.output();
  }
  REQUIRE(client.handshake_done());

  // A request split across two receives arrives whole.
  std::string request = client.output("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  REQUIRE(to_server.size() + request.size() > 1);
  std::string all = to_server + request;
  REQUIRE(server.receive(all.substr(0, all.size() / 2), plain, to_client));
  REQUIRE(server.receive(all.substr(all.size() / 2), plain, to_client));
  CHECK(plain == "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  client.input(to_client);  // session tickets, if any

  // A response larger than one record (16 KiB) arrives whole.
  std::string response(40000, 'r');
  std::string cipher;
  REQUIRE(server.send(response, cipher));
  CHECK(cipher.find(std::string(100, 'r')) == std::string::npos);  // encrypted
  CHECK(client.input(cipher) == response);

  std::string goodbye;
  server.close(goodbye);
  client.input(goodbye);
  CHECK(client.got_close_notify());
}

TEST_CASE("bytes that are not TLS end the session") {
  Credentials credentials;
  auto context = TlsContext::load(credentials.certificate, credentials.key);
  REQUIRE(context.is_ok());
  TlsSession server(**context);
  std::string plain;
  std::string out;
  CHECK_FALSE(server.receive("GET / HTTP/1.1\r\nHost: x\r\n\r\n", plain, out));
  CHECK(plain.empty());
}

TEST_CASE("unusable certificate or key files are refused naming the setting") {
  Credentials credentials;
  Credentials other;
  auto missing = TlsContext::load(credentials.dir + "/absent.pem", credentials.key);
  REQUIRE_FALSE(missing.is_ok());
  CHECK(missing.status().details().at("field") == "http.tls_certificate_file");
  auto wrong_key = TlsContext::load(credentials.certificate, other.key);
  REQUIRE_FALSE(wrong_key.is_ok());
  CHECK(wrong_key.status().details().at("field") == "http.tls_key_file");
  auto key_as_certificate = TlsContext::load(credentials.key, credentials.key);
  REQUIRE_FALSE(key_as_certificate.is_ok());
  CHECK(key_as_certificate.status().details().at("field") == "http.tls_certificate_file");
}
