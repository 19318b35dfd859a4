// /v1/resolutions: REST in front of the resolver service's bus subjects (mpli.resolver.v1.*),
// one handler per route (docs/resolutions.md).
#pragma once

#include <chrono>
#include <memory>

#include "libs/bus/connection.h"
#include "services/gateway/auth/guard.h"
#include "services/gateway/bounded_executor.h"
#include "services/gateway/http_server.h"

namespace mpli::gateway {

struct ResolverRoutesOptions {
  // Fetching a stored resolution and re-checking one answer, each up to `timeout`.
  BoundedExecutor* quick = nullptr;
  std::chrono::milliseconds timeout{5000};
  // Resolving searches the catalogue and may first have trust verify inline credentials: it runs
  // apart, so a long search never delays lookups, and waits up to `resolve_timeout`.
  BoundedExecutor* slow = nullptr;
  std::chrono::milliseconds resolve_timeout{30000};
  // Resolutions belong to a tenant: stored under the caller's, read only by it (or the admin).
  std::shared_ptr<const auth::Guard> guard;
};

void add_resolver_routes(HttpServer& server, bus::Connection& bus,
                         const ResolverRoutesOptions& options);

}  // namespace mpli::gateway
