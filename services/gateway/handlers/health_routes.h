// GET /healthz (the process is up) and GET /readyz (every service answers its health subject).
#pragma once

#include <pistache/router.h>

#include <chrono>

#include "libs/bus/connection.h"

namespace mpli::gateway {

void add_health_routes(Pistache::Rest::Router& router, bus::Connection& bus,
                       std::chrono::milliseconds per_service_timeout);

}  // namespace mpli::gateway
