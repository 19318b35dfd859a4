// /v1/orders and /v1/bills: REST in front of the delivery service's bus subjects
// (mpli.delivery.v1.*), one handler per route (docs/orders.md).
#pragma once

#include <chrono>
#include <memory>

#include "libs/bus/connection.h"
#include "services/gateway/auth/guard.h"
#include "services/gateway/bounded_executor.h"
#include "services/gateway/http_server.h"

namespace mpli::gateway {

struct DeliveryRoutesOptions {
  // Reads, lists, modification, deletion and the bill, each up to `timeout`.
  BoundedExecutor* quick = nullptr;
  std::chrono::milliseconds timeout{5000};
  // Placing an order has delivery re-check the answer with the resolver (and read the offering
  // from discovery) before it answers: it runs apart, like a resolution, up to `create_timeout`.
  BoundedExecutor* slow = nullptr;
  std::chrono::milliseconds create_timeout{20000};
  // Orders and bills belong to a tenant: the guard settles which before delivery is asked.
  std::shared_ptr<const auth::Guard> guard;
};

void add_delivery_routes(HttpServer& server, bus::Connection& bus,
                         const DeliveryRoutesOptions& options);

}  // namespace mpli::gateway
