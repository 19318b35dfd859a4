// /v1/providers, /v1/offerings, /v1/catalog and /.well-known/mpli-providers: REST in front of
// the discovery service's bus subjects, one handler per route.
#pragma once

#include <chrono>
#include <memory>

#include "libs/bus/connection.h"
#include "services/gateway/auth/guard.h"
#include "services/gateway/bounded_executor.h"
#include "services/gateway/http_server.h"
#include "services/gateway/ops/read_cache.h"

namespace mpli::gateway {

struct DiscoveryRoutesOptions {
  // Quick calls (lookups, lists, deletion, catalogue pages) run here, each waiting for
  // discovery up to `timeout` (catalogue pages up to `long_timeout`).
  BoundedExecutor* quick = nullptr;
  std::chrono::milliseconds timeout{5000};
  // Registration and refresh fetch the provider's manifest first, however slow its server: they
  // run apart, so a stalled provider never delays anything else, and wait up to `long_timeout`.
  BoundedExecutor* slow = nullptr;
  std::chrono::milliseconds long_timeout{20000};
  // Who may do what: reads are public, registration is the admin's or a provider's (its own
  // manifest only), deletion and refresh the admin's or the provider's own.
  std::shared_ptr<const auth::Guard> guard;
  // Catalogue reads answered from memory for a moment (ops/read_cache.h); null: always asked.
  std::shared_ptr<ReadCache> read_cache;
};

void add_discovery_routes(HttpServer& server, bus::Connection& bus,
                          const DiscoveryRoutesOptions& options);

}  // namespace mpli::gateway
