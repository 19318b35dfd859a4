// Wiring of the delivery service: its schema, settings and the handlers it serves.
#pragma once

#include "libs/service/runtime.h"

namespace mpli::delivery {

service::ServiceDefinition definition();

// The order flow's part of the start hook: the order subjects, the work relay, the work update
// consumer, the deadline and recovery scanners. definition() starts only this; the bill
// (billing/billing.h, serve_billing) joins by a start hook that calls both.
Status start_order_flow(service::ServiceContext& context);

}  // namespace mpli::delivery
