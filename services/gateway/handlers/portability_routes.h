// /v1/migrations: REST in front of the portability service's bus subjects
// (mpli.portability.v1.*), one handler per route (docs/migrations.md).
#pragma once

#include <chrono>
#include <memory>

#include "libs/bus/connection.h"
#include "services/gateway/auth/guard.h"
#include "services/gateway/bounded_executor.h"
#include "services/gateway/http_server.h"

namespace mpli::gateway {

struct PortabilityRoutesOptions {
  // Reads, lists, cancellation and the report, each up to `timeout`.
  BoundedExecutor* quick = nullptr;
  std::chrono::milliseconds timeout{5000};
  // Creating a migration has portability read the order from delivery and ask the resolver
  // whether the target fits before it answers: it runs apart, up to `create_timeout`.
  BoundedExecutor* slow = nullptr;
  std::chrono::milliseconds create_timeout{20000};
  // Migrations belong to the order's tenant: the guard settles which before portability is
  // asked.
  std::shared_ptr<const auth::Guard> guard;
};

void add_portability_routes(HttpServer& server, bus::Connection& bus,
                            const PortabilityRoutesOptions& options);

}  // namespace mpli::gateway
