// The bill's bus endpoint: mpli.delivery.v1.get_bill (GetBillRequest -> GetBillReply).
// Wired by services/delivery/wiring.cc; needs the service's database pool.
#pragma once

#include "libs/service/runtime.h"

namespace mpli::delivery::billing {

// Serves get_bill on `context` (its pool must be set): BAD_REQUEST (field "tenant") when the
// tenant is missing, BILL_PERIOD_INVALID (field "period") when the period is not YYYY-MM.
Status serve_billing(service::ServiceContext& context);

}  // namespace mpli::delivery::billing
