// /v1/credentials, /v1/facts and /v1/trust/anchors: REST in front of the trust service's bus
// subjects (mpli.trust.v1.*), one handler per route; anchors and issuing are admin routes.
#pragma once

#include <chrono>
#include <memory>

#include "libs/bus/connection.h"
#include "services/gateway/auth/guard.h"
#include "services/gateway/bounded_executor.h"
#include "services/gateway/http_server.h"

namespace mpli::gateway {

struct TrustRoutesOptions {
  // Lists, facts, anchors and issuing: answered from trust's own store, up to `timeout`.
  BoundedExecutor* quick = nullptr;
  std::chrono::milliseconds timeout{5000};
  // Submitting and verifying may make trust fetch a did:web document or a status list from the
  // issuer's server: they run apart and wait up to `long_timeout`.
  BoundedExecutor* slow = nullptr;
  std::chrono::milliseconds long_timeout{20000};
  // Credentials and facts need any valid token; anchors and issuing are the admin's.
  std::shared_ptr<const auth::Guard> guard;
};

void add_trust_routes(HttpServer& server, bus::Connection& bus, const TrustRoutesOptions& options);

}  // namespace mpli::gateway
