// The gateway's HTTP edge. Pistache supplies sockets and I/O threads only: requests are read
// by RequestReader (limits, problem+json for every malformed request), routed by RouteTable,
// and answered through Responder, so no Pistache type reaches a route. A route's handler runs
// on the bounded executor the route names, never on an I/O thread, so a slow call to a service
// holds a thread of its own executor and nothing else; a full executor answers 503 at once.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "libs/core/status.h"
#include "services/gateway/bounded_executor.h"
#include "services/gateway/http/request_reader.h"
#include "services/gateway/http/responder.h"
#include "services/gateway/ops/metrics.h"
#include "services/gateway/ops/rate_limiter.h"

namespace Pistache::Tcp {
class Listener;
}

namespace mpli::gateway {

struct HttpServerOptions {
  std::string address = "127.0.0.1";
  int port = 8080;
  int io_threads = 2;  // read, route and write only: handlers run on executors
  RequestLimits limits;
  // A client gets this long to send a whole request once it started one (then 408).
  std::chrono::milliseconds read_timeout{30000};
  // A connection with no request for this long is closed.
  std::chrono::milliseconds idle_timeout{60000};
  // At stop, how long requests in flight get to finish.
  std::chrono::milliseconds drain_timeout{5000};
  // Per-client limits (disabled by default); routes in `unlimited_routes` (patterns) are exempt.
  RateLimit rate_limit{0, 0};
  std::vector<std::string> unlimited_routes;
  // The bearer tokens that verified (the guard fills it): only they get a bucket of their own.
  std::shared_ptr<const VerifiedTokens> verified_tokens = std::make_shared<VerifiedTokens>();
  // TLS: both files (PEM) or neither (plain HTTP).
  std::string tls_certificate_file;
  std::string tls_key_file;
};

using RouteHandler = std::function<void(const RouteRequest&, Responder)>;

class HttpServer {
 public:
  explicit HttpServer(HttpServerOptions options);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // An executor owned by the server, stopped with it (after its requests in flight).
  BoundedExecutor& add_executor(const std::string& name, int threads, int queue_limit);

  // `handler` answers `method` on `pattern` ("/v1/providers/:id"); HEAD comes with GET. It runs
  // on `executor`, or on the I/O thread when that is null (only for answers that never wait).
  // `produces`: the media types it answers with, preferred first; an Accept header that allows
  // none of them is answered 406. Empty: the route does not negotiate.
  void route(const std::string& method, const std::string& pattern,
             std::vector<std::string> produces, BoundedExecutor* executor, RouteHandler handler);

  // Every route added so far as (method, pattern), e.g. ("GET", "/v1/providers/:id"), in order
  // of adding; HEAD and OPTIONS are implied. Compared with the OpenAPI document by a test.
  std::vector<std::pair<std::string, std::string>> registered_routes() const;

  // Binds and serves on background threads; an error when the address cannot be bound.
  Status start();
  // Answers new requests 503, lets requests in flight finish (drain_timeout), then closes.
  void stop();

  // Request counts and latencies (every request is recorded here and logged as one line).
  GatewayMetrics& metrics();
  // The executors' and the rate limiter's current state, as metrics text.
  std::string render_load() const;

  class Dispatcher;  // defined in http_server.cc

 private:
  HttpServerOptions options_;
  std::shared_ptr<Dispatcher> dispatcher_;
  std::unique_ptr<Pistache::Tcp::Listener> listener_;
  bool stopped_ = false;
};

}  // namespace mpli::gateway
