// TLS for the gateway's own transport: OpenSSL over memory BIOs, so the handshake and every
// record run on the connection's I/O thread without blocking. (Pistache 0.0.5's own TLS does
// the handshake with a blocking SSL_accept on its single accept thread: one client that
// connects and sends nothing would stop every other client from connecting.)
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "libs/core/status.h"

struct ssl_ctx_st;
struct ssl_st;

namespace mpli::gateway {

// The server's certificate and key (PEM files), loaded once; shared by every connection.
class TlsContext {
 public:
  // An error naming the file and OpenSSL's reason when either cannot be used or they do not
  // belong together.
  static Result<std::shared_ptr<TlsContext>> load(const std::string& certificate_file,
                                                  const std::string& key_file);
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  ssl_ctx_st* get() const { return ctx_; }

 private:
  TlsContext() = default;
  ssl_ctx_st* ctx_ = nullptr;
};

// One connection's TLS state. Ciphertext goes in and out as bytes; the caller owns the socket.
class TlsSession {
 public:
  explicit TlsSession(const TlsContext& context);
  ~TlsSession();
  TlsSession(const TlsSession&) = delete;
  TlsSession& operator=(const TlsSession&) = delete;

  // Feeds bytes received from the peer; appends the plaintext they complete to `plain` and the
  // bytes owed to the peer (handshake, alerts) to `out`. False when the connection must end
  // (a failed handshake, a bad record, or the peer's close_notify); `out` may still hold an
  // alert to send first.
  bool receive(std::string_view cipher, std::string& plain, std::string& out);
  // Encrypts `plain`, appending the records to `out`. False on failure.
  bool send(std::string_view plain, std::string& out);
  // Appends a close_notify alert to `out`.
  void close(std::string& out);

 private:
  void drain_output(std::string& out);
  ssl_st* ssl_ = nullptr;
};

}  // namespace mpli::gateway
