// GET /metrics: the gateway's own metrics and, asked at scrape time, every service's endpoint
// statistics (mpli.<service>.v1.stats), in Prometheus text format 0.0.4.
#pragma once

#include <chrono>

#include "libs/bus/connection.h"
#include "services/gateway/http_server.h"

namespace mpli::gateway {

// The services are asked all at once on `probes` (one thread each), each for at most
// `service_timeout`; one that does not answer in time reads mpli_service_up 0.
void add_metrics_routes(HttpServer& server, bus::Connection& bus, BoundedExecutor& probes,
                        std::chrono::milliseconds service_timeout);

}  // namespace mpli::gateway
