// GET /healthz (the process is up: answered on the I/O thread, never queued behind anything)
// and GET /readyz (every service answers its health subject: asked all at once).
#pragma once

#include <chrono>

#include "libs/bus/connection.h"
#include "services/gateway/bounded_executor.h"
#include "services/gateway/http_server.h"

namespace mpli::gateway {

// `probes` runs the health requests, one task per service; it needs a thread per service for
// /readyz to cost one `per_service_timeout` rather than one per service.
void add_health_routes(HttpServer& server, bus::Connection& bus, BoundedExecutor& probes,
                       std::chrono::milliseconds per_service_timeout);

}  // namespace mpli::gateway
