// /v1/providers, /v1/offerings, /v1/catalog and /.well-known/mpli-providers: REST in front of
// the discovery service's bus subjects.
#pragma once

#include <pistache/router.h>

#include <chrono>

#include "libs/bus/connection.h"

namespace mpli::gateway {

void add_discovery_routes(Pistache::Rest::Router& router, bus::Connection& bus,
                          std::chrono::milliseconds timeout);

}  // namespace mpli::gateway
